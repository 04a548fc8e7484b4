// Whether one health answer passes: the cluster says it is healthy, runs the version the operation
// asked for, and every `monitor.require` rule holds on its metrics. Pure, so it is tested in tables.
import { z } from 'zod';
import { ComparisonOpSchema, holds } from './comparison';

export const HealthRuleSchema = z
  .object({
    metric: z.string().min(1).max(200),
    op: ComparisonOpSchema,
    value: z.number().refine(Number.isFinite, 'must be a finite number'),
  })
  .strict();
export type HealthRule = z.infer<typeof HealthRuleSchema>;

/** What the checks read from one health answer. */
export interface HealthAnswer {
  healthy: boolean;
  version: string | null;
  message?: string;
  metrics?: Record<string, number>;
}

/** What a check expects: the version (upgrades only) and the rules. */
export interface HealthExpectation {
  version: string | null;
  require: readonly HealthRule[];
}

/** A passing check, or why it did not pass: the reason starts with the error code the run will show. */
export type HealthVerdict = { passed: true } | { passed: false; reason: string };

export const describeRule = (rule: HealthRule) => `${rule.metric} ${rule.op} ${rule.value}`;

export function judgeHealth(answer: HealthAnswer, expect: HealthExpectation): HealthVerdict {
  if (!answer.healthy)
    return { passed: false, reason: `unhealthy: ${answer.message ?? 'the cluster reports unhealthy'}` };
  if (expect.version !== null && answer.version !== expect.version) {
    return {
      passed: false,
      reason: `version_mismatch: reported ${answer.version ?? 'no version'}, expected ${expect.version}`,
    };
  }
  for (const rule of expect.require) {
    const observed = answer.metrics?.[rule.metric];
    if (observed === undefined) return { passed: false, reason: `metric_missing: ${rule.metric}` };
    if (!holds(observed, rule.op, rule.value)) {
      return { passed: false, reason: `health_rule_failed: ${describeRule(rule)} (was ${observed})` };
    }
  }
  return { passed: true };
}

/**
 * The shadow rules (monitor.shadowRequire) one health answer breaks: evaluated like `require`, a missing
 * metric counting as broken, but never part of the verdict.
 */
export function brokenRules(answer: HealthAnswer, rules: readonly HealthRule[]): string[] {
  return rules
    .filter((rule) => {
      const observed = answer.metrics?.[rule.metric];
      return observed === undefined || !holds(observed, rule.op, rule.value);
    })
    .map(describeRule);
}

/**
 * What shadow rules a cluster would have failed, from the checks that decided its monitoring: a rule broken
 * on any of the last `stableChecks` checks (the streak that passed, or the checks before the timeout) would
 * have kept that streak from passing. Kept as a sliding window of the broken rules per check.
 */
export class ShadowTally {
  private readonly recent: string[][] = [];

  constructor(
    private readonly rules: readonly HealthRule[],
    private readonly window: number,
  ) {}

  get active(): boolean {
    return this.rules.length > 0;
  }

  /** One check's answer; `null` when the check got no answer (every rule counts as unknown: broken). */
  check(answer: HealthAnswer | null): void {
    if (!this.active) return;
    this.recent.push(answer ? brokenRules(answer, this.rules) : this.rules.map(describeRule));
    if (this.recent.length > this.window) this.recent.shift();
  }

  /** The rules, in their declared order, broken on any check of the window. */
  wouldFail(): string[] {
    const broken = new Set(this.recent.flat());
    return this.rules.map(describeRule).filter((rule) => broken.has(rule));
  }
}
