// The one WHERE builder of the repositories: AND-ed conditions with numbered parameters, never values in the SQL text.

export interface WhereBuilder {
  /** The parameters, in placeholder order: pass them as the query's values. */
  readonly values: unknown[];
  /** Adds `condition`, its `?` standing for `value` (e.g. `state = ANY(?::text[])`). */
  add(condition: string, value: unknown): void;
  /** Appends `value` as a parameter outside the conditions (a LIMIT) and returns its placeholder. */
  param(value: unknown): string;
  /** `WHERE a AND b`, or '' when no condition was added. */
  sql(): string;
}

export function whereBuilder(): WhereBuilder {
  const values: unknown[] = [];
  const conditions: string[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  return {
    values,
    add(condition, value) {
      conditions.push(condition.replace('?', param(value)));
    },
    param,
    sql: () => (conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''),
  };
}
