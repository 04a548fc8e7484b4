// The comparisons health rules and alarm thresholds share: `<`, `<=`, `==`, `>=`, `>` against a number.
import { z } from 'zod';

export const COMPARISON_OPS = ['<', '<=', '==', '>=', '>'] as const;
export type ComparisonOp = (typeof COMPARISON_OPS)[number];

export const ComparisonOpSchema = z.enum(COMPARISON_OPS);

/** Whether `observed op value` holds; NaN never does. */
export function holds(observed: number, op: ComparisonOp, value: number): boolean {
  switch (op) {
    case '<':
      return observed < value;
    case '<=':
      return observed <= value;
    case '==':
      return observed === value;
    case '>=':
      return observed >= value;
    case '>':
      return observed > value;
  }
}
