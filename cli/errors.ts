// Exit codes and the errors that carry them, so every failure ends the process the documented way.

export const EXIT = {
  ok: 0,
  /** status --watch / start --watch: the operation ended failed or cancelled. */
  operationFailed: 1,
  /** A person answered no when asked to confirm (clusters delete). */
  declined: 1,
  /** Bad flags or arguments, or an input file that is unreadable or invalid. */
  usage: 2,
  /** The API refused the request (4xx other than 401/403): not found, conflict, validation. */
  rejected: 3,
  /** The API did not accept the token (401) or the role (403). */
  denied: 4,
  /** The API could not be reached, timed out, or answered 5xx (e.g. Temporal or PostgreSQL down). */
  unavailable: 5,
  /** A bug in the CLI itself. */
  internal: 70,
  /** Ctrl-C while watching: the operation itself goes on. */
  interrupted: 130,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0   success
  1   status/start --watch: the operation ended failed or cancelled;
      clusters delete: the confirmation was answered no
  2   usage error, or an invalid or unreadable input file
  3   the API rejected the request (400, 404, 409, …)
  4   not authenticated (401) or not allowed (403)
  5   the API is unreachable, timed out, or answered 5xx
  70  internal error in the CLI
  130 interrupted (Ctrl-C) while watching; the operation goes on`;

/** An error the CLI expects: a message for stderr, indented detail lines and the exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly details: string[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InputError extends CliError {
  constructor(message: string, details: string[] = []) {
    super(message, EXIT.usage, details);
  }
}

export interface ApiErrorDetail {
  path?: string;
  message: string;
}

/** The API answered with a non-2xx status; `code` and `details` come from its error body. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly apiDetails: ApiErrorDetail[] = [],
  ) {
    super(
      message,
      status === 401 || status === 403 ? EXIT.denied : status >= 500 ? EXIT.unavailable : EXIT.rejected,
      apiDetails.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)),
    );
  }
}

export class UnreachableError extends CliError {
  constructor(message: string) {
    super(message, EXIT.unavailable);
  }
}

/** A watched operation ended in a state other than completed. */
export class OperationEnded extends CliError {
  constructor(message: string) {
    super(message, EXIT.operationFailed);
  }
}

/** The lines the CLI prints to stderr for an error: `error: <code>: <message>` then its details. */
export function formatError(err: CliError): string[] {
  const head = err instanceof ApiError ? `error: ${err.code}: ${err.message}` : `error: ${err.message}`;
  const hint =
    err instanceof ApiError && err.status === 401 ? ['hint: pass a valid token with --token or FLEETWAVE_TOKEN'] : [];
  return [head, ...err.details.map((d) => `  ${d}`), ...hint];
}
