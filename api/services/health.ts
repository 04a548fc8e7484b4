// Readiness: can we reach PostgreSQL and Temporal right now? Each check is bounded in time.
import { Connection } from '@temporalio/client';
import { ping, type Db } from '../../db/pool';
import type { TemporalConnectionOptions } from '../../temporal-connection';
import { withinTimeout } from '../timeout';

export interface DependencyStatus {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

export interface Readiness {
  ready: boolean;
  checks: { postgres: DependencyStatus; temporal: DependencyStatus };
}

async function timed(check: () => Promise<unknown>, timeoutMs: number): Promise<DependencyStatus> {
  const started = performance.now();
  try {
    await withinTimeout(check, timeoutMs, `no answer within ${timeoutMs} ms`);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: message.slice(0, 200) };
  }
}

export function createHealthService(deps: {
  db: Db;
  temporalAddress: string | TemporalConnectionOptions;
  timeoutMs?: number;
}) {
  const timeoutMs = deps.timeoutMs ?? 2000;
  // A probe connection of its own without the client's retry interceptor: a probe must answer
  // "down" now, not keep retrying in the background after it has answered.
  const target = typeof deps.temporalAddress === 'string' ? { address: deps.temporalAddress } : deps.temporalAddress;
  const probe = Connection.lazy({ ...target, interceptors: [] });
  return {
    async readiness(): Promise<Readiness> {
      const [postgres, temporal] = await Promise.all([
        timed(() => ping(deps.db), timeoutMs),
        timed(() => probe.withDeadline(Date.now() + timeoutMs, () => probe.healthService.check({})), timeoutMs + 200),
      ]);
      return { ready: postgres.ok && temporal.ok, checks: { postgres, temporal } };
    },
    close: () => probe.close(),
  };
}

export type HealthService = ReturnType<typeof createHealthService>;
