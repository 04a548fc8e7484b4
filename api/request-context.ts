// The request being served, as an async context: the access log opens it, the Temporal client
// interceptor reads it, though they are composed in different places.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from '../logger';

export interface RequestContext {
  requestId: string;
  log: Logger;
}

// Inert until a request runs in it.
const context = new AsyncLocalStorage<RequestContext>();

export function runInRequestContext(request: RequestContext, next: () => void): void {
  context.run(request, next);
}

/** The request whose handling made this call; undefined outside a request (boot, background work). */
export function currentRequest(): RequestContext | undefined {
  return context.getStore();
}
