// The fleet guard from a test: limits are fleet-wide and test files run side by side against one database,
// so a test adds and removes only its own limits (read, change, write back with If-Match, again on 412),
// scoped to a kind of its own that no other test's clusters have.
import { call, type TestApi } from './api';
import { uid } from './env';

export interface LimitBody {
  name: string;
  scope?: Record<string, string>;
  maxInFlight?: number;
  maxFailuresPerHour?: number;
}

/** A kind no other test's clusters have, for a scope that holds only this test's clusters. */
export const ownKind = () => uid('k');

/** Changes the stored limits with `change`, without losing a concurrent change of another test's limits. */
export async function editLimits(api: TestApi, change: (limits: LimitBody[]) => LimitBody[]): Promise<any> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const shown = await call(api.url, 'GET', '/v1/guard');
    if (shown.status !== 200) throw new Error(`GET /v1/guard: ${shown.status} ${JSON.stringify(shown.body)}`);
    const current: LimitBody[] = shown.body.limits.map(({ updatedBy: _b, updatedAt: _a, ...limit }: any) => limit);
    const res = await call(api.url, 'PUT', '/v1/guard/limits', {
      body: { limits: change(current) },
      headers: { 'if-match': `"${shown.body.version}"` },
    });
    if (res.status === 200) return res.body;
    if (res.status !== 412) throw new Error(`PUT /v1/guard/limits: ${res.status} ${JSON.stringify(res.body)}`);
  }
  throw new Error('the limits kept changing under this test');
}

/** Adds or replaces one limit. */
export const putLimit = (api: TestApi, limit: LimitBody) =>
  editLimits(api, (limits) => [...limits.filter((l) => l.name !== limit.name), limit]);

/** Removes the named limits (those that exist). */
export const dropLimits = (api: TestApi, names: string[]) =>
  editLimits(api, (limits) => limits.filter((l) => !names.includes(l.name)));

/** What GET /v1/guard says one limit counts now. */
export async function usageOf(api: TestApi, limit: string): Promise<{ inFlight: number; failuresLastHour: number }> {
  const res = await call(api.url, 'GET', '/v1/guard');
  const usage = res.body.usage.find((u: any) => u.limit === limit);
  if (!usage) throw new Error(`no usage of limit '${limit}': ${JSON.stringify(res.body)}`);
  return usage;
}

/** Every run of the operation as GET …/clusters lists them (one page: these tests are small). */
export async function runsVia(api: TestApi, operationId: string): Promise<any[]> {
  const res = await call(api.url, 'GET', `/v1/operations/${operationId}/clusters?limit=1000`);
  if (res.status !== 200) throw new Error(`runs of ${operationId}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.runs;
}

/**
 * Watches operations' runs in the background until stopped: every (guard, state) a run showed while it
 * waited for the guard, as GET …/clusters listed it.
 */
export function watchGuardWaits(api: TestApi, operationIds: string[]) {
  const seen = new Set<string>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      for (const id of operationIds) {
        for (const run of await runsVia(api, id)) if (run.state === 'waiting_guard') seen.add(String(run.guard));
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    seen,
    async stop(): Promise<Set<string>> {
      stopped = true;
      await loop;
      return seen;
    },
  };
}
