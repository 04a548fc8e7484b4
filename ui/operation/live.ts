// The operation's status, live: GET /v1/operations/:id/stream read with fetch() and the user's token,
// reconnecting after `end: closing` (the API process is shutting down) or a dropped connection, and
// stopping for good after `end: finished`.
import { authHeaders, errorText, reportUnauthorized } from '../api';
import type { OperationStatus } from '../types';
import { SseParser } from './sse';

export type LinkState = 'connecting' | 'live' | 'reconnecting' | 'unavailable' | 'finished';

export interface LiveHandlers {
  onStatus(status: OperationStatus): void;
  onLink(state: LinkState, detail?: string): void;
  /** The stream cannot be had at all (404, 403): the page says so and stops. */
  onFatal(message: string): void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/** Starts watching; the returned function stops it. */
export function watchOperation(id: string, handlers: LiveHandlers): () => void {
  const aborter = new AbortController();
  const { signal } = aborter;
  let retryMs = 3000;

  /** One connection: resolves with how it ended. */
  const once = async (): Promise<'finished' | 'again' | 'stop'> => {
    const res = await fetch(`/v1/operations/${encodeURIComponent(id)}/stream`, {
      headers: { accept: 'text/event-stream', ...authHeaders() },
      cache: 'no-store',
      signal,
    });
    if (res.status === 401) {
      reportUnauthorized();
      return 'stop';
    }
    if (!res.ok || !res.body) {
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // shown as it is
      }
      if (res.status >= 500) return 'again';
      handlers.onFatal(errorText(res.status, body));
      return 'stop';
    }
    const parser = new SseParser();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return 'again';
      for (const event of parser.push(value)) {
        if (parser.retryMs !== null) retryMs = parser.retryMs;
        if (event.event === 'status') {
          handlers.onLink('live');
          handlers.onStatus(JSON.parse(event.data) as OperationStatus);
        } else if (event.event === 'unavailable') {
          handlers.onLink('unavailable', event.data);
        } else if (event.event === 'end') {
          const reason = (JSON.parse(event.data) as { reason?: string }).reason;
          await reader.cancel().catch(() => undefined);
          return reason === 'finished' ? 'finished' : 'again';
        }
      }
    }
  };

  void (async () => {
    handlers.onLink('connecting');
    while (!signal.aborted) {
      let outcome: 'finished' | 'again' | 'stop';
      try {
        outcome = await once();
      } catch {
        outcome = 'again';
      }
      if (signal.aborted || outcome === 'stop') return;
      if (outcome === 'finished') {
        handlers.onLink('finished');
        return;
      }
      handlers.onLink('reconnecting');
      await sleep(retryMs, signal);
    }
  })();
  return () => aborter.abort();
}
