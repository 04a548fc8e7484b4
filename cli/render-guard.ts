// Pure rendering of the fleet guard: the limits with what each counts now, the freezes, the version.
import { formatTime, table } from './render';
import type { GuardView } from './types';

const scopeText = (scope: Record<string, string | undefined>) =>
  Object.entries(scope)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`)
    .join(',') || '(whole fleet)';

/** `fleetwave guard`: one row per limit with its use now, one per freeze with where it stands. */
export function renderGuard(g: GuardView): string {
  const usage = new Map(g.usage.map((u) => [u.limit, u]));
  const lines: string[] = [];
  if (g.limits.length === 0) lines.push('no limits');
  else
    lines.push(
      table(
        ['LIMIT', 'SCOPE', 'IN FLIGHT', 'MAX IN FLIGHT', 'FAILURES (1H)', 'MAX FAILURES (1H)', 'UPDATED BY'],
        g.limits.map((l) => [
          l.name,
          scopeText(l.scope),
          usage.get(l.name)?.inFlight ?? 0,
          l.maxInFlight,
          usage.get(l.name)?.failuresLastHour ?? 0,
          l.maxFailuresPerHour,
          l.updatedBy,
        ]),
      ),
    );
  lines.push('');
  if (g.freezes.length === 0) lines.push('no freezes');
  else
    lines.push(
      table(
        ['FREEZE', 'STATE', 'FROM', 'TO', 'SCOPE', 'REASON'],
        g.freezes.map((f) => [f.name, f.state, formatTime(f.from), formatTime(f.to), scopeText(f.scope), f.reason]),
      ),
    );
  lines.push('', `limits version: ${g.version} (fleetwave guard set-limits --if-match ${g.version} …)`);
  return lines.join('\n');
}
