// Input files (operation specs, cluster lists): YAML or JSON, validated locally with the domain schemas
// and reported as `file:line: field.path: message`, before anything is sent to the API.
import { readFile } from 'node:fs/promises';
import YAML from 'yaml';
import { z } from 'zod';
import { ClusterInputSchema, ClusterPatchSchema } from '../domain/cluster';
import { GuardLimitsBodySchema } from '../domain/guard';
import { OperationRequestSchema } from '../domain/operation';
import { AppendWaveBodySchema } from '../domain/plan-edit-requests';
import { InputError } from './errors';

export interface DataFile {
  name: string;
  data: unknown;
  /** The 1-based line of the value at `path` (or of its nearest ancestor), when it can be told. */
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

/** At most this many issues are listed; the rest are counted, so a wrong file does not flood the terminal. */
const MAX_ISSUES = 20;

/** `waves[0].selector.cloud`: the way a person writes a field of a YAML or JSON document. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

function lineLocator(text: string): DataFile['lineOf'] {
  const lineCounter = new YAML.LineCounter();
  // JSON is YAML too, so one locator serves both; a document YAML cannot read just has no lines.
  const doc = YAML.parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) return () => undefined;
  return (path) => {
    for (let n = path.length; n >= 0; n--) {
      const node: unknown = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as unknown[], true);
      const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
      if (range) return lineCounter.linePos(range[0]).line;
    }
    return undefined;
  };
}

const lineAtOffset = (text: string, offset: number) => text.slice(0, offset).split('\n').length;

/** Parses a YAML or JSON document (JSON when the name ends in .json); syntax errors become InputErrors. */
export function parseDataText(text: string, name: string): DataFile {
  let data: unknown;
  if (/\.json$/i.test(name)) {
    try {
      data = JSON.parse(text);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const offset = /position (\d+)/.exec(message)?.[1];
      const where = offset === undefined ? name : `${name}:${lineAtOffset(text, Number(offset))}`;
      throw new InputError(`${where}: not valid JSON: ${message}`);
    }
  } else {
    const doc = YAML.parseDocument(text, { prettyErrors: true });
    const first = doc.errors[0];
    if (first) {
      const pos = first.linePos?.[0];
      // yaml repeats the position in its message; we lead with it, compiler style.
      const message = (first.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
      throw new InputError(`${name}${pos ? `:${pos.line}:${pos.col}` : ''}: not valid YAML: ${message}`);
    }
    try {
      // Aliases resolve here: an alias without its anchor, or an alias bomb, is bad input too.
      data = doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      throw new InputError(`${name}: not valid YAML: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (data === null || data === undefined) throw new InputError(`${name} is empty`);
  return { name, data, lineOf: lineLocator(text) };
}

/** Reads a file, or standard input when the name is `-`. */
async function readDataFile(file: string): Promise<DataFile> {
  let text: string;
  try {
    if (file === '-') {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      text = Buffer.concat(chunks).toString('utf8');
    } else {
      text = await readFile(file, 'utf8');
    }
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
    throw new InputError(`cannot read ${file === '-' ? 'standard input' : file}: ${reason}`);
  }
  return parseDataText(text, file === '-' ? '<stdin>' : file);
}

/** One line per zod issue, naming the file, the line and the field path. */
function issueLines(file: DataFile, issues: readonly z.core.$ZodIssue[], base: readonly PropertyKey[] = []): string[] {
  const lines = issues.slice(0, MAX_ISSUES).map((issue) => {
    const path = [...base, ...issue.path];
    // An unknown key is reported on its parent object; point at the key itself.
    const extra = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
    const line = file.lineOf(extra === undefined ? path : [...path, extra]);
    return `${file.name}${line ? `:${line}` : ''}: ${formatPath(path)}: ${issue.message}`;
  });
  if (issues.length > MAX_ISSUES) lines.push(`… and ${issues.length - MAX_ISSUES} more`);
  return lines;
}

function validateData<S extends z.ZodType>(
  schema: S,
  file: DataFile,
  what: string,
  value: unknown = file.data,
  base: readonly PropertyKey[] = [],
): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new InputError(`${file.name} is not a valid ${what}:`, issueLines(file, result.error.issues, base));
  return result.data;
}

/** An operation spec: the body of POST /v1/operations, checked with the same schema the API uses. */
export function operationSpecFrom(file: DataFile): Record<string, unknown> {
  validateData(OperationRequestSchema, file, 'operation spec');
  // Send what the user wrote, not our parse with defaults filled in: the API stays the authority.
  return file.data as Record<string, unknown>;
}

export async function readOperationSpec(path: string): Promise<Record<string, unknown>> {
  return operationSpecFrom(await readDataFile(path));
}

const ClusterListSchema = z.array(ClusterInputSchema).min(1, 'the file lists no clusters');

/** A cluster file: a list of clusters, or `{ clusters: [...] }` as POST /v1/clusters takes it. */
export function clustersFrom(file: DataFile): Record<string, unknown>[] {
  const { data } = file;
  const wrapped = typeof data === 'object' && data !== null && !Array.isArray(data);
  if (wrapped)
    validateData(
      z.object({ clusters: z.array(z.unknown()) }).strict(),
      file,
      'cluster file (a list, or { clusters: [...] })',
    );
  else if (!Array.isArray(data))
    throw new InputError(`${file.name} is not a valid cluster file: give a list of clusters or { clusters: [...] }`);
  const base = wrapped ? ['clusters'] : [];
  const list = wrapped ? (data as { clusters: unknown[] }).clusters : (data as unknown[]);
  const clusters = validateData(ClusterListSchema, file, 'cluster file', list, base);
  const seen = new Map<string, number>();
  const duplicates: string[] = [];
  clusters.forEach((c, i) => {
    const first = seen.get(c.id);
    if (first !== undefined) {
      const line = file.lineOf([...base, i, 'id']);
      duplicates.push(
        `${file.name}${line ? `:${line}` : ''}: ${formatPath([...base, i, 'id'])}: '${c.id}' is also ${formatPath([...base, first])}`,
      );
    } else seen.set(c.id, i);
  });
  if (duplicates.length > 0)
    throw new InputError(`${file.name} lists a cluster id twice:`, duplicates.slice(0, MAX_ISSUES));
  return list as Record<string, unknown>[];
}

export async function readClusterFile(path: string): Promise<Record<string, unknown>[]> {
  return clustersFrom(await readDataFile(path));
}

/** A cluster patch file: the fields to change, as PATCH /v1/clusters/:id takes them (labels and adapter whole). */
export function clusterPatchFrom(file: DataFile): Record<string, unknown> {
  const { data } = file;
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new InputError(`${file.name} is not a valid cluster patch: give an object of the fields to change`);
  validateData(ClusterPatchSchema, file, 'cluster patch');
  return data as Record<string, unknown>;
}

export async function readClusterPatch(path: string): Promise<Record<string, unknown>> {
  return clusterPatchFrom(await readDataFile(path));
}

/** A wave to append to a running operation: the body of POST /v1/operations/{id}/waves. */
export async function readAppendedWave(path: string): Promise<Record<string, unknown>> {
  const file = await readDataFile(path);
  validateData(
    AppendWaveBodySchema,
    file,
    'wave (name, selector, and maxParallel, maxFailures, bakeSeconds, approval)',
  );
  return file.data as Record<string, unknown>;
}

/** A limits file: the whole set, a list of limits or `{ limits: [...] }` as PUT /v1/guard/limits takes it. */
export function guardLimitsFrom(file: DataFile): { limits: Record<string, unknown>[] } {
  const what = 'limits file (a list, or { limits: [...] })';
  if (!Array.isArray(file.data)) {
    validateData(GuardLimitsBodySchema, file, what);
    return file.data as { limits: Record<string, unknown>[] };
  }
  validateData(GuardLimitsBodySchema.shape.limits, file, what);
  return { limits: file.data as Record<string, unknown>[] };
}

export async function readGuardLimits(path: string): Promise<{ limits: Record<string, unknown>[] }> {
  return guardLimitsFrom(await readDataFile(path));
}
