// The request id in Temporal: starts, signals, queries and updates made while serving a request carry its
// id as the `requestId` header (workflows/request-id-interceptor.ts logs it), and the API logs each call.
import { defaultPayloadConverter, type WorkflowClientInterceptor } from '@temporalio/client';
import type { Headers } from '@temporalio/common';
import { REQUEST_ID_HEADER } from '../domain/ids';
import { currentRequest } from './request-context';

/** Logs the call next to its workflow id and returns the id of the request it serves, if any. */
function requestIdOf(call: string, workflowId: string, fields: Record<string, string>): string | undefined {
  const request = currentRequest();
  // Status reads query on every GET: those lines are debug.
  if (request) request.log[call === 'query' ? 'debug' : 'info']({ workflowId, call, ...fields }, 'temporal call');
  return request?.requestId;
}

function withRequestId(headers: Headers, requestId: string): Headers {
  return { ...headers, [REQUEST_ID_HEADER]: defaultPayloadConverter.toPayload(requestId) };
}

/** The call's input with the request id among its headers; unchanged outside a request. */
function tagged<T extends { headers: Headers }>(input: T, requestId: string | undefined): T {
  return requestId ? { ...input, headers: withRequestId(input.headers, requestId) } : input;
}

/** A Temporal client interceptor, so the services themselves stay unaware of request ids and logging. */
export function requestIdInterceptor(): WorkflowClientInterceptor {
  return {
    startWithDetails: (input, next) =>
      next(tagged(input, requestIdOf('start', input.options.workflowId, { workflowType: input.workflowType }))),
    signalWithStart: (input, next) =>
      next(
        tagged(
          input,
          requestIdOf('signalWithStart', input.options.workflowId, {
            workflowType: input.workflowType,
            signal: input.signalName,
          }),
        ),
      ),
    signal: (input, next) =>
      next(tagged(input, requestIdOf('signal', input.workflowExecution.workflowId, { signal: input.signalName }))),
    query: (input, next) =>
      next(tagged(input, requestIdOf('query', input.workflowExecution.workflowId, { query: input.queryType }))),
    startUpdate: (input, next) =>
      next(tagged(input, requestIdOf('update', input.workflowExecution.workflowId, { update: input.updateName }))),
    startUpdateWithStart(input, next) {
      const id = requestIdOf('updateWithStart', input.workflowStartOptions.workflowId, {
        workflowType: input.workflowType,
        update: input.updateName,
      });
      return next(
        id
          ? {
              ...input,
              workflowStartHeaders: withRequestId(input.workflowStartHeaders, id),
              updateHeaders: withRequestId(input.updateHeaders, id),
            }
          : input,
      );
    },
  };
}
