// A tiny read-through cache: concurrent readers of one key share a single load, and the answer is
// reused for `ttlMs`. Under load, status is served from memory instead of one workflow query per call.

export interface SingleFlight<T> {
  get(key: string, load: () => Promise<T>): Promise<T>;
  invalidate(key: string): void;
}

export function createSingleFlight<T>(ttlMs: number, maxKeys = 10_000): SingleFlight<T> {
  const entries = new Map<string, { at: number; value?: T; pending?: Promise<T> }>();
  return {
    get(key, load) {
      const entry = entries.get(key);
      if (entry?.pending) return entry.pending;
      if (entry && ttlMs > 0 && Date.now() - entry.at < ttlMs) return Promise.resolve(entry.value as T);
      const pending = load().then(
        (value) => {
          if (entries.get(key)?.pending === pending) entries.set(key, { at: Date.now(), value });
          return value;
        },
        (err: unknown) => {
          if (entries.get(key)?.pending === pending) entries.delete(key);
          throw err;
        },
      );
      if (entries.size >= maxKeys) entries.delete(entries.keys().next().value!);
      entries.set(key, { at: Date.now(), pending });
      return pending;
    },
    invalidate(key) {
      entries.delete(key);
    },
  };
}
