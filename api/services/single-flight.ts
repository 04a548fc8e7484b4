// A tiny read-through cache of versioned answers: concurrent readers share a single load, and an answer is
// reused only while its version is still the current one. Status is served from memory under load, yet an
// operator action (which moves the operation's snapshot version on) shows in the very next read on every
// API replica.

/** What a load produced, and the version of the source it read (null: an unversioned source). */
export interface Loaded<T> {
  version: number | null;
  value: T;
}

export interface SingleFlight<T> {
  /**
   * The answer for `key` as of `version` (the caller read it from the source just now) or newer.
   * An answer of that version is reused for `ttlMs`; after that the first caller loads it again and
   * the callers meanwhile are served the answer held. A newer version always waits for a load.
   * Unversioned answers (version null) are never reused: concurrent callers only share the load in flight.
   */
  get(key: string, version: number | null, load: () => Promise<Loaded<T>>): Promise<T>;
  invalidate(key: string): void;
}

interface Entry<T> {
  /** The last answer loaded, its source's version and when it was loaded. */
  value?: T;
  version: number | null;
  at: number;
  /** The load in flight, and the version its caller had read before starting it. */
  pending?: Promise<Loaded<T>>;
  pendingFor?: number | null;
}

/** An answer loaded from version `have` may serve a caller who read version `want`. */
const covers = (have: number | null | undefined, want: number | null) =>
  want !== null && typeof have === 'number' && have >= want;

export function createSingleFlight<T>(ttlMs: number, maxKeys = 10_000): SingleFlight<T> {
  const entries = new Map<string, Entry<T>>();

  function start(key: string, version: number | null, load: () => Promise<Loaded<T>>): Promise<Loaded<T>> {
    const pending: Promise<Loaded<T>> = load().then(
      (loaded) => {
        const entry = entries.get(key);
        const other = entry?.pending === pending ? undefined : entry;
        // A slower load of an older version never replaces a newer answer.
        if (!other || other.value === undefined || (loaded.version ?? -1) >= (other.version ?? -1)) {
          entries.set(key, {
            value: loaded.value,
            version: loaded.version,
            at: Date.now(),
            ...(other?.pending ? { pending: other.pending, pendingFor: other.pendingFor } : {}),
          });
        }
        return loaded;
      },
      (err: unknown) => {
        const entry = entries.get(key);
        if (entry?.pending === pending) {
          delete entry.pending;
          if (entry.value === undefined) entries.delete(key);
        }
        throw err;
      },
    );
    if (!entries.has(key) && entries.size >= maxKeys) entries.delete(entries.keys().next().value!);
    const entry = entries.get(key) ?? { version: null, at: 0 };
    entries.set(key, { ...entry, pending, pendingFor: version });
    return pending;
  }

  return {
    async get(key, version, load) {
      const entry = entries.get(key);
      if (entry && entry.value !== undefined && covers(entry.version, version)) {
        if (Date.now() - entry.at < ttlMs) return entry.value;
        // Same version, older counts: the caller who finds it so waits for the refresh; those who come
        // while it runs are served the answer held, so under load only one caller waits per refresh.
        if (ttlMs > 0 && entry.pending && covers(entry.pendingFor, version)) return entry.value;
      }
      const shared =
        entry?.pending && (version === null ? entry.pendingFor === null : covers(entry.pendingFor, version));
      return (await (shared ? entry.pending! : start(key, version, load))).value;
    },
    invalidate(key) {
      entries.delete(key);
    },
  };
}
