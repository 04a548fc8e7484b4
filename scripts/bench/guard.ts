// `npm run bench:guard`: what the fleet guard costs. The same operation of zero-latency simulated clusters
// runs without any guard limit and with one limit that matches every cluster (maxInFlight above the
// operation's own maxParallel, so it never holds a cluster back: every select pays for the check and
// nothing else), alternating, on one stack; prints each run and the ratio. Options:
//   --stack dev   --size 10000   --rounds 2 (each round runs both, in alternating order)   --max-parallel 200
import { createPool } from '../../db/pool';
import { runEngine, seedBenchFleet } from './measure';
import { startBenchStack } from './stack';
import { parseStackSpec, stackLabel } from './stack-spec';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const spec = parseStackSpec(option('stack', 'dev'));
const size = Number(option('size', '10000'));
const rounds = Number(option('rounds', '2'));
const maxParallel = Number(option('max-parallel', '200'));

async function setLimits(apiUrl: string, limits: unknown[]): Promise<void> {
  const res = await fetch(`${apiUrl}/v1/guard/limits`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ limits }),
  });
  if (!res.ok) throw new Error(`PUT /v1/guard/limits: ${res.status} ${await res.text()}`);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function main(): Promise<void> {
  const stack = await startBenchStack(spec);
  const db = createPool(stack.databaseUrl, 5);
  const api = stack.apiUrls[0]!;
  const seconds: Record<'without' | 'with', number[]> = { without: [], with: [] };
  try {
    let run = 0;
    for (let round = 0; round < rounds; round++) {
      const order: ('without' | 'with')[] = round % 2 === 0 ? ['without', 'with'] : ['with', 'without'];
      for (const guard of order) {
        const tag = `g${run++}`;
        await seedBenchFleet(db, tag, size);
        const limit = { name: 'bench-fleet', scope: { kind: 'kafka' }, maxInFlight: maxParallel * 10 };
        await setLimits(api, guard === 'with' ? [limit] : []);
        console.error(`· round ${round + 1}: ${size} clusters ${guard} a guard limit…`);
        const engine = await runEngine(api, tag, maxParallel);
        seconds[guard].push(engine.seconds);
        console.error(`  ${engine.seconds.toFixed(1)} s, ${(size / engine.seconds).toFixed(1)} clusters/s`);
      }
    }
  } finally {
    await db.end();
    await stack.stop();
  }
  const command = `npm run bench:guard -- ${process.argv.slice(2).join(' ')}`.trim();
  const lines = [
    `Guard cost, ${stackLabel(spec)}, ${size} clusters, maxParallel ${maxParallel}, ${rounds} round(s) (\`${command}\`):`,
    '',
    '| run | without a limit s | with a limit s |',
    '|---:|---:|---:|',
    ...seconds.without.map((s, i) => `| ${i + 1} | ${s.toFixed(1)} | ${seconds.with[i]!.toFixed(1)} |`),
    '',
    `clusters/s without ${(size / mean(seconds.without)).toFixed(1)}, with ${(size / mean(seconds.with)).toFixed(1)}; ` +
      `throughput with / without: ${(mean(seconds.without) / mean(seconds.with)).toFixed(3)}`,
  ];
  console.log(lines.join('\n'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
