// Temporal client errors, read in one place: the gRPC status under the client's wrappers, and the
// HTTP answer (404, 409, 503) each one becomes.
import {
  ApplicationFailure,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import { Conflict, DependencyUnavailable, FleetError, NotFound } from '../domain/errors';

const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_NOT_FOUND = 5;
/** The server sheds load (a namespace's request rate limit, say): like unavailable, try again shortly. */
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_UNAVAILABLE = 14;
const UNAVAILABLE_CODES: readonly unknown[] = [GRPC_UNAVAILABLE, GRPC_DEADLINE_EXCEEDED, GRPC_RESOURCE_EXHAUSTED];

/** An error and its causes, outermost first, at most five deep (the client wraps gRPC errors in ServiceError). */
function* causeChain(err: unknown): Generator<Error> {
  for (let link = err, depth = 0; link instanceof Error && depth < 5; link = link.cause, depth++) yield link;
}

const codeOf = (err: Error): unknown => (err as { code?: unknown }).code;

/** The gRPC status code on a client error or its cause. */
function grpcCode(err: unknown): number | undefined {
  for (const cause of causeChain(err)) {
    const code = codeOf(cause);
    if (typeof code === 'number') return code;
  }
  return undefined;
}

/** Errors from the Temporal client that mean "Temporal is not reachable", however deeply wrapped. */
export function isTemporalUnavailable(err: unknown): boolean {
  for (const cause of causeChain(err)) {
    const code = codeOf(cause);
    if (UNAVAILABLE_CODES.includes(code)) return true;
    // A namespace the server does not know (yet): a dev server under load has answered this for a moment.
    if (code === GRPC_NOT_FOUND && /namespace .*not found/i.test(cause.message)) return true;
    if (
      cause.name === 'ServiceError' &&
      /UNAVAILABLE|DEADLINE_EXCEEDED|RESOURCE_EXHAUSTED|Failed to connect/i.test(cause.message)
    )
      return true;
  }
  return false;
}

/** An update no worker answered in time: the client gave up waiting, not the workflow refusing it. */
export function isUnanswered(err: unknown): boolean {
  return err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || grpcCode(err) === GRPC_DEADLINE_EXCEEDED;
}

/** Unreachable Temporal becomes 503; a missing workflow 404, or 409 when it has finished. */
function rethrowTemporalError(operationId: string, err: unknown): never {
  if (err instanceof WorkflowNotFoundError) {
    throw /already completed/i.test(err.message)
      ? new Conflict('operation_finished', `operation '${operationId}' has finished`)
      : new NotFound('operation workflow', operationId);
  }
  if (UNAVAILABLE_CODES.includes(grpcCode(err)))
    throw new DependencyUnavailable('temporal', 'Temporal is not reachable or did not answer in time; try again');
  throw err;
}

/** A failed status query: UNAVAILABLE means Temporal itself is down (describe would fail the same way). */
export function rethrowIfTemporalDown(err: unknown): void {
  if (grpcCode(err) === GRPC_UNAVAILABLE)
    throw new DependencyUnavailable('temporal', 'Temporal is not reachable; try again');
}

/**
 * The reason and words of an update the workflow refused with an ApplicationFailure whose type is the
 * reason (its validator's, or its handler's); undefined for any other error.
 */
export function updateRefusal(err: unknown): { reason: string; message: string } | undefined {
  if (!(err instanceof WorkflowUpdateFailedError)) return undefined;
  const cause = err.cause;
  if (!(cause instanceof ApplicationFailure) || !cause.type) return undefined;
  return { reason: cause.type, message: cause.message };
}

/** A refused update is a 409 with the workflow's reason; one no worker accepted in time is a 503. */
export function rethrowUpdateError(operationId: string, err: unknown, refusedCode: string): never {
  if (err instanceof WorkflowUpdateFailedError) throw new Conflict(refusedCode, err.cause?.message ?? err.message);
  if (isUnanswered(err)) {
    throw new FleetError(
      503,
      'workflow_unavailable',
      `operation '${operationId}' did not accept the update in time; try again`,
    );
  }
  return rethrowTemporalError(operationId, err);
}

/** How a failed call's error becomes an answer: rethrowTemporalError unless the call says otherwise. */
type Rethrow = (operationId: string, err: unknown) => never;

/** Runs one Temporal call about an operation under a deadline, its errors mapped as above. */
export type TemporalCall = <T>(operationId: string, call: () => Promise<T>, rethrow?: Rethrow) => Promise<T>;

/** A deadline on every call, so a Temporal outage is a prompt 503 rather than a hung request. */
export function temporalCaller(client: Client, timeoutMs: number): TemporalCall {
  return async (operationId, call, rethrow = rethrowTemporalError) => {
    try {
      return await client.withDeadline(Date.now() + timeoutMs, call);
    } catch (err) {
      return rethrow(operationId, err);
    }
  };
}
