// Live status for many watchers: one poller per operation watched, however many streams watch it. Each
// tick reads the status the way GET /v1/operations/:id does (a fresh snapshot-version read, the answer
// shared while that version is current), and a watcher hears only answers that differ from the last one
// sent. An operation that has ended sends its last status and closes its streams.

export interface StatusWatcher<T> {
  status(value: T, body: string): void;
  end(reason: 'finished' | 'closing'): void;
  error(err: unknown): void;
}

export interface StatusStreamsOptions<T> {
  load(id: string): Promise<T>;
  /** The answer as JSON (the same serialization the status route sends). */
  serialize(value: T): string;
  finished(value: T): boolean;
  intervalMs: number;
}

interface Watched<T> {
  watchers: Set<StatusWatcher<T>>;
  timer?: NodeJS.Timeout;
  lastBody?: string;
  lastValue?: T;
  ticking: boolean;
}

export function createStatusStreams<T>(opts: StatusStreamsOptions<T>) {
  const watched = new Map<string, Watched<T>>();

  function stop(id: string, entry: Watched<T>): void {
    clearInterval(entry.timer);
    if (watched.get(id) === entry) watched.delete(id);
  }

  async function tick(id: string, entry: Watched<T>): Promise<void> {
    if (entry.ticking) return; // a slow read is not overtaken by the next tick
    entry.ticking = true;
    try {
      const value = await opts.load(id);
      const body = opts.serialize(value);
      if (body !== entry.lastBody) {
        entry.lastBody = body;
        entry.lastValue = value;
        for (const w of entry.watchers) w.status(value, body);
      }
      if (opts.finished(value)) {
        for (const w of entry.watchers) w.end('finished');
        entry.watchers.clear();
        stop(id, entry);
      }
    } catch (err) {
      for (const w of entry.watchers) w.error(err);
    } finally {
      entry.ticking = false;
    }
  }

  return {
    /** Starts watching `id` (the caller has sent the current status already); returns the way to stop. */
    watch(id: string, first: { value: T; body: string }, watcher: StatusWatcher<T>): () => void {
      if (opts.finished(first.value)) {
        watcher.end('finished');
        return () => undefined;
      }
      let entry = watched.get(id);
      if (!entry) {
        entry = { watchers: new Set(), lastBody: first.body, lastValue: first.value, ticking: false };
        const started = entry;
        entry.timer = setInterval(() => void tick(id, started), opts.intervalMs);
        watched.set(id, entry);
      } else if (entry.lastBody !== first.body) {
        // This watcher saw a newer answer than the poller has sent: others hear it at the next tick.
        entry.lastBody = undefined;
      }
      entry.watchers.add(watcher);
      const current = entry;
      return () => {
        current.watchers.delete(watcher);
        if (current.watchers.size === 0) stop(id, current);
      };
    },
    /** Streams open, by operation. */
    watching(): Map<string, number> {
      return new Map([...watched].map(([id, e]) => [id, e.watchers.size]));
    },
    /** Ends every stream (the process is shutting down): clients reconnect to another replica. */
    closeAll(): void {
      for (const [id, entry] of watched) {
        for (const w of entry.watchers) w.end('closing');
        entry.watchers.clear();
        stop(id, entry);
      }
    },
  };
}
