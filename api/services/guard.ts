// The fleet guard's use cases: show the limits, freezes and what each limit counts now; replace the limits
// (optionally only if unchanged since read); add and remove freezes. Every change is audited with what it
// replaced. Also the check a resume of an operation a limit paused must pass.
import { createHash } from 'node:crypto';
import * as repo from '../../db/guard';
import { recordAudit } from '../../db/audit';
import { withTransaction, type Db } from '../../db/pool';
import type { Actor } from '../../domain/auth';
import { Conflict, FleetError, NotFound } from '../../domain/errors';
import {
  canonicalLimits,
  failuresExceeded,
  freezeState,
  guardExceededMessage,
  limitOfPauseReason,
  type FreezeInput,
  type GuardLimitsBody,
  type GuardView,
  type ShownFreeze,
  type StoredFreeze,
  type StoredLimit,
} from '../../domain/guard';

/** The version of a set of limits: a hash of its canonical text, so it needs no counter of its own. */
export function limitsVersion(limits: readonly StoredLimit[]): string {
  return createHash('sha256').update(canonicalLimits(limits)).digest('hex').slice(0, 16);
}

/** `"abc"`, `W/"abc"` or `abc`: the version an If-Match header names. */
const versionOf = (ifMatch: string) =>
  ifMatch
    .trim()
    .replace(/^W\//, '')
    .replace(/^"(.*)"$/, '$1');

const shown = (freeze: StoredFreeze, nowMs: number): ShownFreeze => ({ ...freeze, state: freezeState(freeze, nowMs) });

/** A limit as its audit row keeps it: the settings, not who set them. */
const settingsOf = ({ updatedBy: _by, updatedAt: _at, ...limit }: StoredLimit) => limit;

const AUDIT_TARGET = { targetType: 'system', targetId: 'guard' } as const;

export function createGuardService(db: Db) {
  async function show(): Promise<GuardView> {
    const [limits, freezes, usage] = await Promise.all([
      repo.listLimits(db),
      repo.listFreezes(db),
      repo.limitUsage(db),
    ]);
    const now = Date.now();
    return { limits, freezes: freezes.map((f) => shown(f, now)), usage, version: limitsVersion(limits) };
  }

  return {
    show,

    /**
     * Replaces every limit in one transaction that holds every select back meanwhile, so each select sees
     * either the old set or the new one. With `ifMatch`, only when the stored set still has that version.
     */
    async setLimits(actor: Actor, body: GuardLimitsBody, opts: { ifMatch?: string } = {}): Promise<GuardView> {
      await withTransaction(db, async (tx) => {
        await repo.lockLimits(tx);
        const before = await repo.listLimits(tx);
        const current = limitsVersion(before);
        if (opts.ifMatch !== undefined && versionOf(opts.ifMatch) !== current) {
          throw new FleetError(
            412,
            'precondition_failed',
            `the limits changed since version '${versionOf(opts.ifMatch)}' was read (now '${current}'): read them again and repeat the change`,
          );
        }
        await repo.replaceLimits(tx, body.limits, actor.identity);
        await recordAudit(tx, {
          ...actor,
          ...AUDIT_TARGET,
          action: 'guard.set_limits',
          payload: { before: before.map(settingsOf), after: body.limits },
        });
      });
      return show();
    },

    async freeze(actor: Actor, input: FreezeInput): Promise<ShownFreeze> {
      const created = await withTransaction(db, async (tx) => {
        const stored = await repo.insertFreeze(tx, input, actor.identity);
        if (!stored) {
          throw new Conflict(
            'freeze_exists',
            `a freeze named '${input.name}' exists already: delete it first, or choose another name`,
          );
        }
        await recordAudit(tx, {
          ...actor,
          ...AUDIT_TARGET,
          action: 'guard.freeze',
          payload: { before: null, after: stored },
        });
        return stored;
      });
      return shown(created, Date.now());
    },

    async unfreeze(actor: Actor, name: string): Promise<void> {
      await withTransaction(db, async (tx) => {
        const removed = await repo.deleteFreeze(tx, name);
        if (!removed) throw new NotFound('freeze', name);
        await recordAudit(tx, {
          ...actor,
          ...AUDIT_TARGET,
          action: 'guard.unfreeze',
          payload: { before: removed, after: null },
        });
      });
    },
  };
}

export type GuardService = ReturnType<typeof createGuardService>;

/**
 * Why a resume of an operation paused `guard:<limit>` is refused: that limit's failures in the last hour are
 * still over it. Read from PostgreSQL, so the API can answer while no worker runs; null when it may resume.
 */
export async function guardResumeRefusal(
  db: Db,
  operationId: string,
  pauseReason: string | null | undefined,
): Promise<{ reason: string; message: string } | null> {
  const limit = limitOfPauseReason(pauseReason);
  if (!limit) return null;
  const found = await repo.limitFailures(db, limit);
  if (!found || !failuresExceeded(found, found.failuresLastHour)) return null;
  return { reason: 'guard_exceeded', message: guardExceededMessage(operationId, limit, found) };
}
