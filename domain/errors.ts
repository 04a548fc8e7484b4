// Errors that carry their meaning (and HTTP status) across layers; the API maps them in one place.

export interface ErrorDetail {
  path?: string;
  message: string;
  [key: string]: unknown;
}

export class FleetError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationFailed extends FleetError {
  constructor(message: string, details: ErrorDetail[] = []) {
    super(400, 'validation_failed', message, details);
  }
}

export class NotFound extends FleetError {
  constructor(what: string, id: string) {
    super(404, 'not_found', `${what} '${id}' does not exist`);
  }
}

export class Conflict extends FleetError {
  constructor(code: string, message: string, details: ErrorDetail[] = []) {
    super(409, code, message, details);
  }
}

export class Unauthorized extends FleetError {
  constructor(message = 'a valid bearer token is required') {
    super(401, 'unauthorized', message);
  }
}

export class Forbidden extends FleetError {
  constructor(message: string) {
    super(403, 'forbidden', message);
  }
}

export class DependencyUnavailable extends FleetError {
  constructor(dependency: 'postgres' | 'temporal', message: string) {
    super(503, `${dependency}_unavailable`, message);
  }
}
