// One structured logger shape for the API, the worker and the scripts (pino; pretty when asked).
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Paths pino censors, whatever object a caller logs: tokens must never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'token',
  '*.token',
  '*.authorization',
];

export function createLogger(opts: {
  level: string;
  pretty: boolean;
  name: string;
  /** Where JSON lines go instead of stdout (tests capture them); ignored when pretty. */
  destination?: DestinationStream;
}): Logger {
  const options: pino.LoggerOptions = {
    name: opts.name,
    level: opts.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  if (opts.pretty) {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' },
      },
    });
  }
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
