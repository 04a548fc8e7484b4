// Rows to records, the one mapping every repository uses: snake_case columns become camelCase fields.

type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;
type IsoTimestamp<V> = V extends Date ? string : V;

/** A row's fields under camelCase names, values as they are. */
export type CamelRow<Row> = { [K in keyof Row & string as CamelCase<K>]: Row[K] };
/** A row's fields under camelCase names, timestamps as ISO 8601 strings: what the API answers with. */
export type RecordOf<Row> = { [K in keyof Row & string as CamelCase<K>]: IsoTimestamp<Row[K]> };

const camelCase = (column: string) => column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());

function renameColumns(row: object, value: (columnValue: unknown) => unknown): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  // Field order is the SELECT's column order, so answers keep the order the columns are listed in.
  for (const [column, columnValue] of Object.entries(row)) record[camelCase(column)] = value(columnValue);
  return record;
}

/** Renames the columns only. */
export function camelRow<Row extends object>(row: Row): CamelRow<Row> {
  return renameColumns(row, (value) => value) as CamelRow<Row>;
}

/** Renames the columns and turns timestamps into ISO strings. */
export function recordOf<Row extends object>(row: Row): RecordOf<Row> {
  return renameColumns(row, (value) => (value instanceof Date ? value.toISOString() : value)) as RecordOf<Row>;
}
