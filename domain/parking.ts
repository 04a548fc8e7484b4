// Parked clusters: the failure an apply answers outside its maintenance window, shared by the apply
// activity that raises it and the wave that parks the cluster instead of failing it.

/** The failure type of an apply attempt that found the cluster's window closed (never retried, never a failure). */
export const OUTSIDE_WINDOW = 'OutsideWindow';

/** The failure's details: when the next window opens. */
export interface OutsideWindowDetails {
  /** Epoch milliseconds. */
  untilMs: number;
  opensAt: string;
}

/** The details of an OutsideWindow failure, read defensively: anything else is no such failure. */
export function outsideWindowDetails(type: string | undefined, details: readonly unknown[] | undefined) {
  if (type !== OUTSIDE_WINDOW) return null;
  const first = details?.[0] as Partial<OutsideWindowDetails> | undefined;
  return typeof first?.untilMs === 'number' && typeof first.opensAt === 'string'
    ? { untilMs: first.untilMs, opensAt: first.opensAt }
    : null;
}
