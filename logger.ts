// One structured logger shape for the API, the worker and the scripts (pino; pretty when asked).
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(opts: { level: string; pretty: boolean; name: string }): Logger {
  return pino({
    name: opts.name,
    level: opts.level,
    // Tokens must never reach a log line, whatever object a caller logs.
    redact: { paths: ['req.headers.authorization', 'headers.authorization', 'authorization', 'token', '*.token'], censor: '[redacted]' },
    ...(opts.pretty
      ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } } }
      : {}),
  });
}
