// What one bench stack runs: which Temporal server, how many history shards, engine workers and API
// replicas. Written `dev` (the dev server, one shard) or `pg-s4-w2-a1` (PostgreSQL-backed server,
// 4 shards, 2 workers, 1 API replica; any part may be left out: `pg` is `pg-s4-w1-a1`).
export interface StackSpec {
  server: 'dev' | 'postgres';
  shards: number;
  workers: number;
  apiReplicas: number;
}

export function parseStackSpec(text: string): StackSpec {
  const [server, ...parts] = text.trim().split('-');
  if (server !== 'dev' && server !== 'pg') throw new Error(`stack "${text}": starts with dev or pg`);
  const spec: StackSpec = { server: server === 'dev' ? 'dev' : 'postgres', shards: 4, workers: 1, apiReplicas: 1 };
  if (spec.server === 'dev') spec.shards = 1;
  for (const part of parts) {
    const match = /^([swa])(\d+)$/.exec(part);
    const n = Number(match?.[2]);
    if (!match || !Number.isInteger(n) || n < 1)
      throw new Error(`stack "${text}": "${part}" is not s<N>, w<N> or a<N>`);
    if (match[1] === 's') {
      if (spec.server === 'dev' && n !== 1) throw new Error(`stack "${text}": the dev server has one shard`);
      spec.shards = n;
    } else if (match[1] === 'w') spec.workers = n;
    else spec.apiReplicas = n;
  }
  return spec;
}

export function stackLabel(spec: StackSpec): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const server = spec.server === 'dev' ? 'dev server (SQLite)' : `PostgreSQL server, ${plural(spec.shards, 'shard')}`;
  return `${server}, ${plural(spec.workers, 'worker')}, ${plural(spec.apiReplicas, 'API replica')}`;
}
