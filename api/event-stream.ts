// Server-sent events (text/event-stream) on an Express response: numbered events, a keep-alive comment
// so proxies and load balancers do not close a quiet stream, and the reconnect delay for EventSource.
import type { Request, Response } from 'express';

export interface EventStream {
  send(event: string, data: string): void;
  close(): void;
  readonly closed: boolean;
}

export function openEventStream(
  req: Request,
  res: Response,
  opts: { keepAliveMs?: number; retryMs?: number; onClose?: () => void } = {},
): EventStream {
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('Connection', 'keep-alive');
  // nginx and similar proxies buffer responses unless told not to.
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  res.write(`retry: ${opts.retryMs ?? 3000}\n\n`);
  let id = 0;
  let closed = false;
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), opts.keepAliveMs ?? 15_000);
  const finish = () => {
    if (closed) return;
    closed = true;
    clearInterval(keepAlive);
    opts.onClose?.();
  };
  req.on('close', finish);
  return {
    send(event, data) {
      if (closed) return;
      // A data line may not hold a newline: JSON from JSON.stringify has none, other text is split.
      const lines = data.split('\n').map((line) => `data: ${line}`);
      res.write(`id: ${++id}\nevent: ${event}\n${lines.join('\n')}\n\n`);
    },
    close() {
      finish();
      res.end();
    },
    get closed() {
      return closed;
    },
  };
}
