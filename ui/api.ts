// Every call to the REST API: the user's token on it, JSON in and out, and a 401 sends the user back to
// the login form. Action answers come back whatever their status, so the page can show them as they are.
import { token } from './auth-token';

export interface Answer<T = unknown> {
  status: number;
  body: T;
}

/** The API's error shape. */
export interface ApiErrorBody {
  error?: { code?: string; message?: string; details?: { path?: string; message?: string }[] };
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(errorText(status, body));
  }
}

/** "409 already_paused: operation 'x' is already paused". */
export function errorText(status: number, body: unknown): string {
  const err = (body as ApiErrorBody | undefined)?.error;
  if (!err) return `${status}`;
  return `${status} ${err.code ?? 'error'}: ${err.message ?? ''}`.trim();
}

let unauthorized: () => void = () => undefined;

/** What to do when the API refuses the token: the app shows the login form. */
export function onUnauthorized(handler: () => void): void {
  unauthorized = handler;
}

/** A 401 met outside `request` (the status stream). */
export const reportUnauthorized = () => unauthorized();

export function authHeaders(): Record<string, string> {
  const current = token();
  return current ? { authorization: `Bearer ${current}` } : {};
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** Any answer but 401 resolves; a 401 shows the login form and rejects. */
export async function request<T = unknown>(
  method: string,
  path: string,
  opts: RequestOptions = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders(), ...opts.headers };
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  const res = await fetch(path, { method, headers, body, signal: opts.signal, cache: 'no-store' });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON (a proxy's page): shown as it is
  }
  if (res.status === 401) {
    unauthorized();
    throw new HttpError(401, parsed);
  }
  return { status: res.status, body: parsed as T };
}

/** A read that must succeed: anything but 2xx rejects with the API's words. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const answer = await request<T>('GET', path, { signal });
  if (answer.status < 200 || answer.status >= 300) throw new HttpError(answer.status, answer.body);
  return answer.body;
}

/** Every page of a cursor-paged list, up to `maxItems`. */
export async function getAllPages<T>(
  path: string,
  key: string,
  opts: { signal?: AbortSignal; maxItems?: number; cursorParam?: string; nextKey?: string } = {},
): Promise<{ items: T[]; more: boolean }> {
  const items: T[] = [];
  let cursor: string | null = null;
  const sep = path.includes('?') ? '&' : '?';
  for (;;) {
    const url: string = cursor ? `${path}${sep}${opts.cursorParam ?? 'cursor'}=${encodeURIComponent(cursor)}` : path;
    const page = await getJson<Record<string, unknown>>(url, opts.signal);
    items.push(...((page[key] as T[] | undefined) ?? []));
    cursor = (page[opts.nextKey ?? 'nextCursor'] as string | null | undefined) ?? null;
    if (!cursor) return { items, more: false };
    if (opts.maxItems !== undefined && items.length >= opts.maxItems) return { items, more: true };
  }
}
