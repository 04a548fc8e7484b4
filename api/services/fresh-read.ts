// Fresh reads shared by concurrent callers. Each caller needs a read that started after it asked (an
// action applied just before its request must show), but not one of its own: a caller who finds a read
// in flight waits for the next one, which starts when the one in flight ends and serves every caller
// who came meanwhile. Under 50 concurrent status calls that is two reads in flight at most per key,
// instead of one per call.

export interface FreshReads<T> {
  read(key: string): Promise<T>;
}

interface Slot<T> {
  /** The read in flight, and the one queued behind it (started when it ends) for callers who came since. */
  running: Promise<T>;
  next?: Promise<T>;
}

export function createFreshReads<T>(load: (key: string) => Promise<T>): FreshReads<T> {
  const slots = new Map<string, Slot<T>>();

  function run(key: string): Promise<T> {
    const running = load(key).finally(() => {
      const slot = slots.get(key);
      if (slot?.running !== running) return;
      if (slot.next) slot.running = slot.next;
      else slots.delete(key);
      delete slot.next;
    });
    return running;
  }

  return {
    read(key) {
      const slot = slots.get(key);
      if (!slot) {
        const running = run(key);
        slots.set(key, { running });
        return running;
      }
      // Queued behind the read in flight: it starts once that one has settled, whatever its outcome.
      slot.next ??= slot.running.then(
        () => run(key),
        () => run(key),
      );
      return slot.next;
    },
  };
}
