// Workflow interceptor (registered by the worker): logs the API request id that a start, signal or
// update carried as a Temporal header, so one id ties an API log line to what the workflow did.
import {
  defaultPayloadConverter,
  log,
  workflowInfo,
  type Headers,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
} from '@temporalio/workflow';
import { OPERATION_WORKFLOW_TYPE, REQUEST_ID_HEADER } from '../domain/ids';

function requestIdOf(headers: Headers): string | undefined {
  const payload = headers[REQUEST_ID_HEADER];
  if (!payload) return undefined;
  try {
    const value: unknown = defaultPayloadConverter.fromPayload(payload);
    return typeof value === 'string' ? value.slice(0, 128) : undefined;
  } catch {
    // A header we cannot read must never fail a workflow task.
    return undefined;
  }
}

/** The fields every such line carries: the operation id is the parent workflow's id. */
function fields(requestId: string): Record<string, unknown> {
  const info = workflowInfo();
  return info.workflowType === OPERATION_WORKFLOW_TYPE ? { operationId: info.workflowId, requestId } : { requestId };
}

// Only calls that came with a request id are logged: signals between parent and wave carry none.
const requestIdLogger: WorkflowInboundCallsInterceptor = {
  execute(input, next) {
    const requestId = requestIdOf(input.headers);
    if (requestId) log.info('workflow started by an API request', fields(requestId));
    return next(input);
  },
  handleSignal(input, next) {
    const requestId = requestIdOf(input.headers);
    if (requestId) log.info('signal received from an API request', { ...fields(requestId), signal: input.signalName });
    return next(input);
  },
  handleUpdate(input, next) {
    const requestId = requestIdOf(input.headers);
    if (requestId) log.info('update received from an API request', { ...fields(requestId), update: input.name });
    return next(input);
  },
};

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [requestIdLogger] });
