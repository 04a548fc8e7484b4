// Maintenance windows (UTC) and the operation's deadline: when a cluster may be changed, and when it is too
// late to start it. Pure, so workflows may use it.
import type { Cluster } from './cluster';

type Window = Cluster['maintenanceWindows'][number];
const DAY_MS = 24 * 60 * 60 * 1000;
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

/**
 * 0 when `now` is inside a window (or the cluster has none), else the milliseconds until the next
 * window opens. A window whose end is not after its start runs past midnight into the next day.
 */
export function msUntilWindowOpen(windows: readonly Window[], now: Date): number {
  if (windows.length === 0) return 0;
  const t = now.getTime();
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  let best = Infinity;
  // Yesterday's window may still be open (crossing midnight); a week ahead always finds the next one.
  for (let d = -1; d <= 7; d++) {
    const dayStart = midnight + d * DAY_MS;
    const weekday = DAY_NAMES[new Date(dayStart).getUTCDay()]!;
    for (const w of windows) {
      if (!(w.days as readonly string[]).includes(weekday)) continue;
      const start = dayStart + minutes(w.start) * 60_000;
      let end = dayStart + minutes(w.end) * 60_000;
      if (end <= start) end += DAY_MS;
      if (t >= start && t < end) return 0;
      if (start > t) best = Math.min(best, start - t);
    }
  }
  return best === Infinity ? 0 : best;
}

/** When the cluster may next be changed: null when `now` is inside a window (or it has none). */
export function windowOpensAt(windows: readonly Window[], now: Date): Date | null {
  const wait = msUntilWindowOpen(windows, now);
  return wait > 0 ? new Date(now.getTime() + wait) : null;
}

/** The operation's `deadline` in epoch milliseconds; null when it has none. */
export function deadlineMs(deadline: string | undefined): number | null {
  if (deadline === undefined) return null;
  const ms = Date.parse(deadline);
  return Number.isNaN(ms) ? null : ms;
}

/** A cluster not started by the deadline misses it: so does one whose window opens only at or after it. */
export function missesDeadline(atMs: number, deadline: number | null): boolean {
  return deadline !== null && atMs >= deadline;
}
