// How a remote HTTP source's failure reads in one line, shared by the http adapter and the alarm sources:
// the network cause of a failed fetch, and the source's own words from an error body.

/** The network cause, e.g. `connect ECONNREFUSED 127.0.0.1:9090` or `UND_ERR_SOCKET: other side closed`. */
export function networkCause(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const message = typeof cause?.message === 'string' && cause.message ? cause.message : undefined;
  if (code && message) return message.includes(code) ? message : `${code}: ${message}`;
  return code ?? message ?? (err instanceof Error ? err.message : String(err));
}

/**
 * The source's own words from an error body, uncut: `{ message }`, Prometheus' `{ errorType, error }`,
 * `{ error: "…" }`, `{ error: { message } }`, else the text itself.
 */
export function bodyWords(text: string): string {
  try {
    const body = JSON.parse(text) as { errorType?: unknown; error?: unknown; message?: unknown };
    if (typeof body.message === 'string') return body.message;
    if (typeof body.error === 'string') {
      const kind = typeof body.errorType === 'string' && body.errorType ? `${body.errorType}: ` : '';
      return `${kind}${body.error}`;
    }
    const nested = (body.error as { message?: unknown } | null | undefined)?.message;
    if (typeof nested === 'string') return nested;
  } catch {
    // not JSON: the text itself is the best we have
  }
  return text.trim();
}
