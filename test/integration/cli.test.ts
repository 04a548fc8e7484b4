// The fleetwave CLI end to end: the real bin.js as a child process against the real API, worker, Temporal and PostgreSQL.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { TOKENS } from '../helpers/api';
import { FAST_MONITOR, startEngine, type EngineStack } from '../helpers/engine';
import { uid } from '../helpers/env';

const BIN = path.join(__dirname, '..', '..', 'cli', 'bin.js');

let stack: EngineStack;
let dir: string;
before(async () => {
  stack = await startEngine();
  dir = await mkdtemp(path.join(tmpdir(), 'fleetwave-cli-'));
});
after(async () => {
  await stack.close();
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawns `fleetwave …`; `onStdout` sees output as it arrives, for commands that run until something happens. */
function fleetwave(
  args: string[],
  opts: { token?: string; url?: string; onStdout?: (all: string) => void } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, FLEETWAVE_URL: opts.url ?? stack.api.url, FLEETWAVE_TOKEN: opts.token ?? TOKENS.operator },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      opts.onStdout?.(stdout);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function writeYaml(name: string, value: unknown): Promise<string> {
  const file = path.join(dir, `${uid(name)}.yaml`);
  await writeFile(file, stringify(value));
  return file;
}

/** Imports four simulated clusters through the CLI; the first two are internal. */
async function importFleet(): Promise<{ ids: string[]; team: string }> {
  const prefix = uid('cli');
  const team = uid('team');
  const clusters = [0, 1, 2, 3].map((i) => ({
    id: `${prefix}-${i}`,
    name: `cli cluster ${i}`,
    kind: 'kafka',
    cloud: 'aws',
    region: 'us-east-1',
    environment: i < 2 ? 'internal' : 'customer',
    version: '3.6.0',
    labels: { team },
    adapter: { type: 'simulated', config: { applyMs: 50 } },
  }));
  const run = await fleetwave(['clusters', 'import', await writeYaml('fleet', clusters)]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /imported 4 clusters/);
  return { ids: clusters.map((c) => c.id), team };
}

const twoWaveSpec = (ids: string[], secondWave: Record<string, unknown> = {}) => ({
  name: uid('cli-op'),
  action: { type: 'upgrade', targetVersion: '3.7.1' },
  selector: { ids },
  waves: [
    { name: 'internal', selector: { environment: 'internal' }, maxParallel: 2 },
    { name: 'customers', maxParallel: 2, maxFailures: 1, bakeSeconds: 0.2, ...secondWave },
  ],
  monitor: FAST_MONITOR,
});

const startedId = (run: Run) => {
  const id = /started operation (\S+)/.exec(run.stdout)?.[1];
  assert.ok(id, `no operation id in: ${run.stdout}\n${run.stderr}`);
  return id;
};

describe('the fleetwave CLI', () => {
  test('when a YAML fleet is imported, then clusters list by its label shows every cluster', async () => {
    const { ids, team } = await importFleet();
    const byTeam = ['clusters', 'list', '--label', `team=${team}`];
    const list = await fleetwave(byTeam);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^ID\s+KIND\s+CLOUD\s+REGION\s+ENVIRONMENT\s+TIER\s+VERSION\s+LABELS$/m);
    for (const id of ids) assert.match(list.stdout, new RegExp(`^${id}\\s+kafka\\s+aws\\s+us-east-1`, 'm'));
    assert.match(list.stdout, /4 clusters/);
    const json = await fleetwave([...byTeam, '--environment', 'internal', '--all', '-o', 'json']);
    assert.deepEqual(
      JSON.parse(json.stdout).clusters.map((c: any) => c.id),
      ids.slice(0, 2),
    );
  });

  test('when a list is longer than --limit, then one page names the next cursor and --all follows every page', async () => {
    const { ids, team } = await importFleet();
    const byTeam = ['clusters', 'list', '--label', `team=${team}`, '--limit', '1'];
    const first = await fleetwave(byTeam);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`^${ids[0]}\\s`, 'm'));
    assert.match(first.stdout, /^1 cluster$/m);
    const cursor = /more clusters match: add --all, or --cursor (\S+)/.exec(first.stdout)?.[1];
    assert.ok(cursor, `no cursor in: ${first.stdout}`);

    const rest = await fleetwave([...byTeam, '--cursor', cursor, '--all', '-o', 'json']);
    assert.equal(rest.code, 0, rest.stderr);
    const page = JSON.parse(rest.stdout);
    assert.deepEqual(
      page.clusters.map((c: any) => c.id),
      ids.slice(1),
    );
    assert.equal(page.nextCursor, null);
  });

  test('when an operator pauses, skips, resumes and cancels, then each command says what it asked for and events --all lists them', async () => {
    const { ids } = await importFleet();
    const start = await fleetwave(['start', await writeYaml('spec', twoWaveSpec(ids, { approval: 'manual' }))]);
    const id = startedId(start);

    const pause = await fleetwave(['pause', id, '--reason', 'INC-42']);
    assert.equal(pause.code, 0, pause.stderr);
    assert.equal(pause.stdout, `pause requested for ${id}\n`);
    const skip = await fleetwave(['skip', id, ids[3]!]);
    assert.equal(skip.code, 0, skip.stderr);
    assert.equal(skip.stdout, `skip requested for cluster ${ids[3]} of ${id}\n`);
    const retry = await fleetwave(['retry', id, ids[3]!]);
    assert.equal(retry.code, 3, 'only a failed or rolled back cluster can be retried');

    for (let i = 0; ; i++) {
      const status = await fleetwave(['status', id, '-o', 'json']);
      if (JSON.parse(status.stdout).state === 'paused') break;
      assert.ok(i < 50, `never paused: ${status.stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const resume = await fleetwave(['resume', id]);
    assert.equal(resume.code, 0, resume.stderr);
    assert.equal(resume.stdout, `resume requested for ${id}\n`);
    const cancel = await fleetwave(['cancel', id, '--reason', 'not today']);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.equal(cancel.stdout, `cancel requested for ${id}\n`);
    const watch = await fleetwave(['status', id, '--watch', '--interval', '0.2']);
    assert.equal(watch.code, 1, 'a cancelled operation ends the watch with exit 1');

    const onePage = await fleetwave(['events', id, '--limit', '1']);
    assert.match(onePage.stdout, /\n\nmore events: add --all\n$/);
    const all = await fleetwave(['events', id, '--limit', '1', '--all', '-o', 'json']);
    assert.equal(all.code, 0, all.stderr);
    const { events, nextCursor } = JSON.parse(all.stdout);
    assert.equal(nextCursor, null);
    const actions = events.map((e: any) => e.action);
    for (const action of [
      'operation.start',
      'operation.pause',
      'operation.skip',
      'operation.resume',
      'operation.cancel',
    ]) {
      assert.ok(actions.includes(action), `${action} missing from ${actions.join(', ')}`);
    }
    // --reason reaches the audit log; without it the body is empty.
    const payloadOf = (action: string) => events.find((e: any) => e.action === action)?.payload;
    assert.deepEqual(payloadOf('operation.pause'), { reason: 'INC-42' });
    assert.deepEqual(payloadOf('operation.resume'), {});
    assert.deepEqual(payloadOf('operation.cancel'), { reason: 'not today' });
    assert.deepEqual(payloadOf('operation.skip'), { clusterId: ids[3] });
  });

  test('when a spec is planned, then the waves table shows each wave with its settings and the skipped count', async () => {
    const { ids } = await importFleet();
    const run = await fleetwave(['plan', await writeYaml('spec', twoWaveSpec(ids, { approval: 'manual' }))]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^WAVE\s+NAME\s+CLUSTERS\s+MAX PARALLEL\s+MAX FAILURES\s+BAKE\s+APPROVAL$/m);
    assert.match(run.stdout, /^1\s+internal\s+2\s+2\s+0\s+-\s+none$/m);
    assert.match(run.stdout, /^2\s+customers\s+2\s+2\s+1\s+0\.2s\s+manual$/m);
    assert.match(run.stdout, /total: 4 clusters in 2 waves/);
    assert.match(run.stdout, /skipped: 0/);
    const ops = await stack.db.query('SELECT count(*)::int AS n FROM cluster_runs WHERE cluster_id = ANY($1)', [ids]);
    assert.equal(ops.rows[0].n, 0, 'a dry run must not start anything');
  });

  test('when an operation is started and watched, then the watch exits 0 with a final summary of 4 succeeded', async () => {
    const { ids } = await importFleet();
    const start = await fleetwave(['start', await writeYaml('spec', twoWaveSpec(ids)), '--request-id', uid('req')]);
    assert.equal(start.code, 0, start.stderr);
    const id = startedId(start);
    assert.match(start.stdout, new RegExp(`fleetwave status ${id} --watch`));

    const watch = await fleetwave(['status', id, '--watch', '--interval', '0.2']);
    assert.equal(watch.code, 0, watch.stderr);
    assert.match(watch.stdout, /\| total \d\/4 done/);
    assert.match(
      watch.stdout,
      new RegExp(`operation ${id} completed: 4 succeeded, 0 failed, 0 rolled back, 0 skipped of 4`),
    );
    assert.match(watch.stdout, /^1\s+internal\s+completed\s+2\s+2\s+0/m);

    const events = await fleetwave(['events', id], { token: TOKENS.viewer });
    assert.equal(events.code, 0, events.stderr);
    assert.match(events.stdout, /^TIME\s+IDENTITY\s+ACTION\s+PAYLOAD$/m);
    assert.match(events.stdout, /olga \(operator\)\s+operation\.start\s+total=4 waves=2 skipped=0/);
  });

  test('when a wave needs manual approval, then the watch shows the approve command and finishes once an approver approves', async () => {
    const { ids } = await importFleet();
    const start = await fleetwave(['start', await writeYaml('spec', twoWaveSpec(ids, { approval: 'manual' }))]);
    const id = startedId(start);
    const hint = `waiting for approval of wave 2: fleetwave approve ${id} --wave 2`;

    let approval: Promise<Run> | undefined;
    const watch = await fleetwave(['status', id, '--watch', '--interval', '0.2'], {
      onStdout: (all) => {
        if (!approval && all.includes(hint))
          approval = fleetwave(['approve', id, '--wave', '2', '--comment', 'canary ok'], { token: TOKENS.approver });
      },
    });
    assert.ok(approval, `the watch never showed the approval line:\n${watch.stdout}`);
    const approved = await approval;
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, new RegExp(`approved wave 2 of ${id}`));
    assert.equal(watch.code, 0, watch.stderr);
    assert.match(watch.stdout, /awaiting_approval/);
    assert.match(watch.stdout, new RegExp(`operation ${id} completed: 4 succeeded`));
    assert.match(watch.stdout, /^2\s+customers\s+completed.*manual \(abe\)$/m);
  });

  test('when --output json is given, then plan, start and every watch line parse as JSON', async () => {
    const { ids } = await importFleet();
    const spec = await writeYaml('spec', { ...twoWaveSpec(ids), action: { type: 'restart' } });
    const plan = await fleetwave(['plan', spec, '-o', 'json']);
    assert.equal(JSON.parse(plan.stdout).plan.total, 4);
    const start = await fleetwave(['start', spec, '-o', 'json']);
    assert.equal(start.code, 0, start.stderr);
    const { id } = JSON.parse(start.stdout);
    const watch = await fleetwave(['status', id, '--watch', '--interval', '0.2', '--output', 'json']);
    assert.equal(watch.code, 0, watch.stderr);
    const lines = watch.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(lines.every((s) => s.id === id));
    assert.equal(lines.at(-1).state, 'completed');
    assert.equal(lines.at(-1).counts.succeeded, 4);
  });

  test('when the spec file is invalid, then it exits 2 naming the file, line and field path, and sends nothing', async () => {
    const file = path.join(dir, 'bad-spec.yaml');
    await writeFile(
      file,
      [
        'name: bad',
        'action: { type: restart }',
        'selector: {}',
        'waves:',
        '  - name: one',
        '    maxParallel: 5000',
        '    colour: red',
        '',
      ].join('\n'),
    );
    const run = await fleetwave(['plan', file], { url: 'http://127.0.0.1:9' });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /bad-spec\.yaml is not a valid operation spec/);
    assert.match(run.stderr, /bad-spec\.yaml:6: waves\[0\]\.maxParallel: /);
    assert.match(run.stderr, /bad-spec\.yaml:7: waves\[0\]: .*colour/);
  });

  test('when a viewer starts an operation, then the 403 error code is printed and it exits 4', async () => {
    const { ids } = await importFleet();
    const run = await fleetwave(['start', await writeYaml('spec', twoWaveSpec(ids))], { token: TOKENS.viewer });
    assert.equal(run.code, 4);
    assert.match(run.stderr, /^error: forbidden: role 'viewer' cannot do this; it needs 'operator'/m);
  });

  test('when the operation does not exist, then the API error is printed and it exits 3', async () => {
    const run = await fleetwave(['status', 'no-such-op-000000']);
    assert.equal(run.code, 3);
    assert.match(run.stderr, /^error: not_found: operation 'no-such-op-000000' does not exist/m);
  });

  test('when the API is unreachable, then it exits 5 naming FLEETWAVE_URL', async () => {
    const run = await fleetwave(['list'], { url: 'http://127.0.0.1:59999' });
    assert.equal(run.code, 5);
    assert.match(
      run.stderr,
      /cannot reach the fleetwave API at http:\/\/127\.0\.0\.1:59999 \(ECONNREFUSED\).*FLEETWAVE_URL/,
    );
  });
});
