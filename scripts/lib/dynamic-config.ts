// deploy/temporal/dynamicconfig.yaml as flat key → value pairs, so a dev server can run with the settings
// the PostgreSQL-backed server reads from that file (only values without constraints: the dev server's
// --dynamic-config-value takes no constraints).
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export const DYNAMIC_CONFIG_FILE = path.join(__dirname, '..', '..', 'deploy', 'temporal', 'dynamicconfig.yaml');

type Entry = { value?: unknown; constraints?: Record<string, unknown> };

export function serverDynamicConfig(file = DYNAMIC_CONFIG_FILE): Record<string, string | number | boolean> {
  const parsed = (parse(fs.readFileSync(file, 'utf8')) ?? {}) as Record<string, Entry[]>;
  const values: Record<string, string | number | boolean> = {};
  for (const [key, entries] of Object.entries(parsed)) {
    const global = entries.find((e) => !e.constraints || Object.keys(e.constraints).length === 0);
    const value = global?.value;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') values[key] = value;
  }
  return values;
}
