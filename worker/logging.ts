// The Temporal SDK's logger over pino: SDK, core, workflow (`log`) and activity (`Context.log`) lines
// come out as the same JSON as the rest of fleetwave, with their attributes as fields.
import {
  DefaultLogger,
  makeTelemetryFilterString,
  type LogEntry,
  type LogLevel,
  type Logger as SdkLogger,
  type TelemetryOptions,
} from '@temporalio/worker';
import pino from 'pino';
import type { Logger } from '../logger';

const TO_PINO = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
} as const satisfies Record<LogLevel, string>;

/** The SDK level that lets through what pino's `level` would print (the SDK has no fatal or silent). */
export function sdkLevel(pinoLevel: string): LogLevel {
  switch (pinoLevel) {
    case 'trace':
      return 'TRACE';
    case 'debug':
      return 'DEBUG';
    case 'info':
      return 'INFO';
    case 'warn':
      return 'WARN';
    default:
      return 'ERROR';
  }
}

/** Writes one SDK log entry through pino: metadata become fields, errors keep their stack. */
export function writeSdkEntry(logger: Logger, entry: LogEntry): void {
  // The task token completes the activity from outside: a capability, not something to log.
  const { taskToken: _token, ...meta } = (entry.meta ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(meta)) {
    if (value instanceof Error) meta[key] = pino.stdSerializers.err(value);
  }
  // The bundler's webpack report is a multi-line blob at every start: useful when debugging only.
  const level =
    entry.level === 'INFO' && meta.sdkComponent === 'worker' && entry.message.includes('\n')
      ? 'debug'
      : TO_PINO[entry.level];
  logger[level](meta, entry.message);
}

export function createSdkLogger(logger: Logger): SdkLogger {
  return new DefaultLogger(sdkLevel(logger.level), (entry) => writeSdkEntry(logger, entry));
}

/** Core (Rust) logs forwarded to the same logger, warnings and up unless debugging. */
export function coreLogging(pinoLevel: string): Pick<TelemetryOptions, 'logging'> {
  const level = pinoLevel === 'debug' || pinoLevel === 'trace' ? 'INFO' : 'WARN';
  return { logging: { filter: makeTelemetryFilterString({ core: level }), forward: {} } };
}
