// The REST client the CLI uses: JSON over global fetch, bearer token, API errors as typed CliErrors.
import { ApiError, InputError, UnreachableError, type ApiErrorDetail } from './errors';

export type Query = Record<string, string | number | boolean | undefined>;

export interface ApiAnswer<T> {
  status: number;
  body: T;
}

export interface ClientOptions {
  baseUrl: string;
  token?: string;
  /** Per request; a plan over a large fleet can take a while, a hung connection should not take forever. */
  timeoutMs?: number;
}

/** Validates the base URL early, so a typo is a usage error (2) rather than "unreachable" (5). */
export function parseBaseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InputError(
      `the API URL '${raw}' is not a valid URL (set FLEETWAVE_URL or --url, e.g. http://127.0.0.1:8080)`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(`the API URL '${raw}' must start with http:// or https://`);
  }
  return url;
}

/** Reads the API's `{ error: { code, message, details } }`; anything else (a proxy's HTML page) keeps its text. */
export function apiErrorFrom(status: number, text: string): ApiError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    const details = Array.isArray(error.details)
      ? error.details.map((d: Partial<ApiErrorDetail> | null): ApiErrorDetail => ({
          path: typeof d?.path === 'string' && d.path !== '' ? d.path : undefined,
          message: typeof d?.message === 'string' ? d.message : JSON.stringify(d),
        }))
      : [];
    return new ApiError(status, error.code, error.message, details);
  }
  const snippet = text.trim().slice(0, 200) || '(empty body)';
  return new ApiError(status, `http_${status}`, snippet);
}

/** Node's fetch hides the reason in `cause` (ECONNREFUSED, ENOTFOUND, …); name it. */
function networkReason(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'no answer in time';
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

export class ApiClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  constructor(opts: ClientOptions) {
    // A base with a path prefix (behind a proxy) keeps it: paths are appended, not resolved.
    this.baseUrl = parseBaseUrl(opts.baseUrl).toString().replace(/\/+$/, '');
    this.token = opts.token || undefined;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
  }

  url(path: string, query: Query = {}): string {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  async send<T>(
    method: string,
    path: string,
    opts: { query?: Query; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.url(path, opts.query), {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      throw new UnreachableError(
        `cannot reach the fleetwave API at ${this.baseUrl} (${networkReason(err)}): is it running? Set FLEETWAVE_URL or --url`,
      );
    }
    if (!res.ok) throw apiErrorFrom(res.status, text);
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      throw apiErrorFrom(
        502,
        `the API at ${this.baseUrl} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`,
      );
    }
    return { status: res.status, body: body as T };
  }

  async get<T>(path: string, query?: Query): Promise<T> {
    return (await this.send<T>('GET', path, { query })).body;
  }

  async post<T>(path: string, body?: unknown, query?: Query): Promise<T> {
    return (await this.send<T>('POST', path, { body, query })).body;
  }

  async patch<T>(path: string, body: unknown): Promise<T> {
    return (await this.send<T>('PATCH', path, { body })).body;
  }

  async put<T>(path: string, body: unknown, headers?: Record<string, string>): Promise<T> {
    return (await this.send<T>('PUT', path, { body, headers })).body;
  }

  /** A 204 has no body: the answer is only its status. */
  async delete(path: string): Promise<number> {
    return (await this.send<undefined>('DELETE', path)).status;
  }
}

/** Path segments from user input are encoded, so an id can never change the route. */
export const seg = (value: string | number) => encodeURIComponent(String(value));
