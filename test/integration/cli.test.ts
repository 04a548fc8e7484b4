// The fleetwave CLI end to end: the real bin.js as a child process against the real API, worker, Temporal and PostgreSQL.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { startApi, TOKENS } from '../helpers/api';
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

/** Imports four simulated clusters through the CLI; the first two are internal. `config` adds adapter settings. */
async function importFleet(
  config: (i: number) => Record<string, unknown> = () => ({}),
): Promise<{ ids: string[]; team: string }> {
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
    adapter: { type: 'simulated', config: { applyMs: 50, ...config(i) } },
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

/** Polls `status -o json` until the operation is in `state`. */
async function waitForCliState(id: string, state: string): Promise<void> {
  for (let i = 0; ; i++) {
    const status = await fleetwave(['status', id, '-o', 'json']);
    if (status.code === 0 && JSON.parse(status.stdout).state === state) return;
    assert.ok(i < 100, `never ${state}: ${status.stdout}${status.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * An action command succeeded and its first line is one of the answers the API may give: applied (200, the
 * state now), delivered but not yet applied (202, the API's message), or an older server's bare 202.
 */
function assertActionSaid(run: Run, applied: RegExp, requested: string): void {
  assert.equal(run.code, 0, run.stderr);
  const first = run.stdout.split('\n')[0] ?? '';
  assert.ok(
    applied.test(first) || first === requested || /deliver/i.test(first),
    `unexpected answer to an action:\n${run.stdout}`,
  );
}

/** Holds a cluster's lease as a running operation would, so the inventory refuses changes to it. */
async function holdLease(clusterId: string): Promise<() => Promise<void>> {
  const op = uid('holder');
  await stack.db.query('INSERT INTO leases (cluster_id, operation_id, workflow_id) VALUES ($1, $2, $2)', [
    clusterId,
    op,
  ]);
  return async () => {
    await stack.db.query('DELETE FROM leases WHERE cluster_id = $1', [clusterId]);
  };
}

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
    assertActionSaid(pause, new RegExp(`^paused: ${id} is paused$`), `pause requested for ${id}`);
    const skip = await fleetwave(['operations', 'skip', id, ids[3]!, '-o', 'json']);
    assert.equal(skip.code, 0, skip.stderr);
    const skipAnswer = JSON.parse(skip.stdout);
    assert.ok(
      typeof skipAnswer.state === 'string' || skipAnswer.outcome === 'delivered' || skipAnswer.accepted === 'skip',
      `-o json prints the API's answer: ${skip.stdout}`,
    );
    const retry = await fleetwave(['operations', 'retry', id, ids[3]!]);
    assert.equal(retry.code, 3, 'only a failed or rolled back cluster can be retried');
    assert.match(retry.stderr, /^error: \w+: /m);

    await waitForCliState(id, 'paused');
    const again = await fleetwave(['pause', id]);
    assert.equal(again.code, 3, 'an operation already paused is not paused twice');
    assert.match(again.stderr, /^error: (already_paused|invalid_state): /m);
    const resume = await fleetwave(['resume', id]);
    assertActionSaid(resume, new RegExp(`^resumed: ${id} is \\w+`), `resume requested for ${id}`);
    const cancel = await fleetwave(['operations', 'cancel', id, '--reason', 'not today']);
    assertActionSaid(cancel, new RegExp(`^cancelled: ${id} is \\w+`), `cancel requested for ${id}`);
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
    // --reason reaches the audit log (as the action's comment where the workflow records it); without it none is sent.
    const payloadOf = (action: string) => events.find((e: any) => e.action === action)?.payload;
    const reasonOf = (action: string) => payloadOf(action).reason ?? payloadOf(action).comment;
    assert.equal(reasonOf('operation.pause'), 'INC-42');
    assert.equal(reasonOf('operation.resume'), undefined);
    assert.equal(reasonOf('operation.cancel'), 'not today');
    assert.equal(payloadOf('operation.skip').clusterId, ids[3]);
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
    assertActionSaid(
      approved,
      new RegExp(`^approved wave 2 \\("canary ok"\\): ${id} is \\w+`),
      `approval of wave 2 requested for ${id}`,
    );
    assert.equal(watch.code, 0, watch.stderr);
    assert.match(watch.stdout, /awaiting_approval/);
    assert.match(watch.stdout, new RegExp(`operation ${id} completed: 4 succeeded`));
    assert.match(watch.stdout, /^2\s+customers\s+completed.*manual \(abe\)$/m);
  });

  test('when an approver approves with a comment, then -o json prints the answer and the comment is in the events; the starter may not approve', async () => {
    const { ids } = await importFleet();
    const spec = await writeYaml('spec', twoWaveSpec(ids, { approval: 'manual' }));
    const id = startedId(await fleetwave(['start', spec], { token: TOKENS.admin }));
    await waitForCliState(id, 'awaiting_approval');

    const self = await fleetwave(['operations', 'approve', id, '--wave', '2'], { token: TOKENS.admin });
    assert.equal(self.code, 4, 'four-eyes: who started it cannot approve it');
    assert.match(self.stderr, /^error: self_approval_forbidden: /m);
    const wrongWave = await fleetwave(['operations', 'approve', id, '--wave', '1'], { token: TOKENS.approver });
    assert.equal(wrongWave.code, 3, wrongWave.stderr);
    assert.match(wrongWave.stderr, /^error: (not_awaiting_approval|invalid_state): /m);

    const approve = await fleetwave(
      ['operations', 'approve', id, '--wave', '2', '--comment', 'canary ok', '-o', 'json'],
      {
        token: TOKENS.approver,
      },
    );
    assert.equal(approve.code, 0, approve.stderr);
    const answer = JSON.parse(approve.stdout);
    assert.equal(answer.id, id);
    assert.ok(
      typeof answer.state === 'string' || answer.outcome === 'delivered' || answer.accepted === 'approve',
      `not an answer to approve: ${approve.stdout}`,
    );

    const watch = await fleetwave(['status', id, '--watch', '--interval', '0.2']);
    assert.equal(watch.code, 0, watch.stderr);
    const events = JSON.parse((await fleetwave(['operations', 'events', id, '--all', '-o', 'json'])).stdout).events;
    const approval = events.find((e: any) => e.action === 'operation.approve' && e.payload.comment === 'canary ok');
    assert.ok(approval, `no approval with the comment in ${JSON.stringify(events)}`);
    assert.equal(approval.identity, 'abe');
    assert.equal(approval.payload.wave, 2);
    assert.notEqual(approval.payload.outcome, 'rejected');
  });

  test('when maxParallel is changed, then set-parallel names the waves it applies to, -o json prints the answer and the change is audited', async () => {
    const { ids } = await importFleet();
    const id = startedId(await fleetwave(['start', await writeYaml('spec', twoWaveSpec(ids, { approval: 'manual' }))]));

    const all = await fleetwave(['operations', 'set-parallel', id, '3']);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.stdout.split('\n')[0], `maxParallel of ${id} is now 3 for the running wave and every later one`);
    const json = await fleetwave(['ops', 'set-parallel', id, '4', '-o', 'json']);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(JSON.parse(json.stdout).id, id);
    assert.equal(JSON.parse(json.stdout).maxParallel, 4);

    // A server from before per-wave edits refuses `wave` as an unknown field; the CLI then says how to do without.
    const one = await fleetwave(['operations', 'set-parallel', id, '2', '--wave', '2']);
    if (one.code === 0) {
      assert.equal(one.stdout.split('\n')[0], `maxParallel of ${id} is now 2 for wave 2`);
    } else {
      assert.equal(one.code, 3, one.stderr);
      assert.match(one.stderr, /^error: validation_failed: /m);
      assert.match(one.stderr, /does not take --wave yet/);
    }

    const tooMany = await fleetwave(['operations', 'set-parallel', id, '1001']);
    assert.equal(tooMany.code, 2, 'checked before anything is sent');
    assert.match(tooMany.stderr, /expected a whole number from 1 to 1000/);

    const events = JSON.parse((await fleetwave(['events', id, '--all', '-o', 'json'])).stdout).events;
    const changes = events.filter((e: any) => e.action === 'operation.edit').map((e: any) => e.payload);
    assert.ok(
      changes.some((p: any) => p.maxParallel === 3),
      `no audited change to 3 in ${JSON.stringify(changes)}`,
    );
    assert.equal((await fleetwave(['cancel', id])).code, 0);
  });

  test('when clusters fail, then operations failed lists them by wave with their errors, --wave narrows it, -o json has the runs', async () => {
    const { ids } = await importFleet((i) => (i === 1 || i === 3 ? { failApply: true } : {}));
    const spec = {
      ...twoWaveSpec(ids),
      waves: [
        { name: 'internal', selector: { environment: 'internal' }, maxParallel: 2, maxFailures: 1 },
        { name: 'customers', maxParallel: 2, maxFailures: 1 },
      ],
    };
    const id = startedId(await fleetwave(['start', await writeYaml('spec', spec)]));
    const watch = await fleetwave(['status', id, '--watch', '--interval', '0.2']);
    assert.equal(watch.code, 0, `each wave tolerates one failure: ${watch.stdout}${watch.stderr}`);

    const failed = await fleetwave(['operations', 'failed', id]);
    assert.equal(failed.code, 0, failed.stderr);
    const lines = failed.stdout.split('\n');
    assert.match(lines[0]!, /^CLUSTER\s+WAVE\s+STATE\s+ATTEMPTS\s+(ADAPTER ATTEMPTS\s+)?ERROR\b/);
    assert.match(lines[1]!, new RegExp(`^${ids[1]}\\s+1\\s+failed\\s+1\\s+\\S`));
    assert.match(lines[2]!, new RegExp(`^${ids[3]}\\s+2\\s+failed\\s+1\\s+\\S`));
    assert.match(failed.stdout, new RegExp(`^2 failed, 0 rolled back in ${id}$`, 'm'));

    const wave2 = await fleetwave(['failed', id, '--wave', '2', '-o', 'json']);
    assert.equal(wave2.code, 0, wave2.stderr);
    const { runs } = JSON.parse(wave2.stdout);
    assert.deepEqual(
      runs.map((r: any) => [r.clusterId, r.wave, r.state]),
      [[ids[3], 2, 'failed']],
    );
    assert.ok(runs[0].error, 'the run carries its error');

    const none = await fleetwave(['operations', 'failed', id, '--wave', '3']);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, `no failed or rolled back clusters in wave 3 of ${id}\n`);
  });

  test('when a cluster is patched with --set and --file, then the change is stored; while leased the 409 is printed', async () => {
    const { ids, team } = await importFleet();
    const set = await fleetwave([
      'clusters',
      'patch',
      ids[0]!,
      '--set',
      'labels.owner=ops',
      '--set',
      'adapter.config.applyMs=100',
      '--set',
      'tier=dedicated',
    ]);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout.split('\n')[0], `updated cluster ${ids[0]}: labels, adapter, tier`);
    assert.match(set.stdout, /^tier\s+dedicated$/m);
    const stored = JSON.parse((await fleetwave(['clusters', 'get', ids[0]!, '-o', 'json'])).stdout);
    assert.deepEqual(stored.labels, { team, owner: 'ops' }, 'the other labels stay');
    assert.deepEqual(stored.adapter, { type: 'simulated', config: { applyMs: 100 } });
    assert.equal(stored.tier, 'dedicated');

    const file = await writeYaml('patch', { name: 'renamed by file', labels: { team, zone: 'a' } });
    const fromFile = await fleetwave([
      'clusters',
      'patch',
      ids[1]!,
      '--file',
      file,
      '--set',
      'labels.zone=b',
      '-o',
      'json',
    ]);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    const patched = JSON.parse(fromFile.stdout);
    assert.equal(patched.id, ids[1]);
    assert.equal(patched.name, 'renamed by file');
    assert.deepEqual(patched.labels, { team, zone: 'b' });

    const invalid = await fleetwave(['clusters', 'patch', ids[1]!, '--set', 'version=latest']);
    assert.equal(invalid.code, 3);
    assert.match(invalid.stderr, /^error: validation_failed: /m);
    assert.match(invalid.stderr, /^ {2}version: must be a semantic version/m);

    const release = await holdLease(ids[2]!);
    try {
      const leased = await fleetwave(['clusters', 'patch', ids[2]!, '--set', 'tier=gold']);
      assert.equal(leased.code, 3);
      assert.match(
        leased.stderr,
        new RegExp(`^error: cluster_leased: cluster '${ids[2]}' is leased by operation`, 'm'),
      );
    } finally {
      await release();
    }
  });

  test('when a cluster is deleted, then --yes deletes it, without --yes and a terminal it refuses, and a leased one stays', async () => {
    const { ids } = await importFleet();
    const refused = await fleetwave(['clusters', 'delete', ids[0]!]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, new RegExp(`refusing to delete cluster ${ids[0]} without confirmation: .*add --yes`));
    assert.equal((await fleetwave(['clusters', 'get', ids[0]!])).code, 0, 'nothing was deleted');

    const release = await holdLease(ids[1]!);
    try {
      const leased = await fleetwave(['clusters', 'delete', ids[1]!, '--yes']);
      assert.equal(leased.code, 3);
      assert.match(leased.stderr, /^error: cluster_leased: /m);
    } finally {
      await release();
    }

    const deleted = await fleetwave(['clusters', 'delete', ids[0]!, '--yes']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout, `deleted cluster ${ids[0]}\n`);
    const gone = await fleetwave(['clusters', 'get', ids[0]!]);
    assert.equal(gone.code, 3);
    assert.match(gone.stderr, /^error: not_found: /m);

    const json = await fleetwave(['clusters', 'delete', ids[1]!, '-y', '-o', 'json']);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), { id: ids[1], deleted: true });
  });

  test('when no worker answers, then an action is delivered: the command prints the API message, -o json its answer', async () => {
    // An API whose task queue no worker polls: the workflow never answers, the action goes as a signal.
    const idle = await startApi();
    const url = idle.url;
    let id: string | undefined;
    try {
      const { ids } = await importFleet();
      id = startedId(await fleetwave(['start', await writeYaml('spec', twoWaveSpec(ids))], { url }));
      const pause = await fleetwave(['operations', 'pause', id], { url });
      assertActionSaid(pause, /^$/, `pause requested for ${id}`);
      if (pause.stdout !== `pause requested for ${id}\n`) {
        assert.match(pause.stdout, new RegExp(`: fleetwave operations events ${id}$`, 'm'), 'names where to look');
      }
      const json = await fleetwave(['operations', 'cancel', id, '-o', 'json'], { url });
      assert.equal(json.code, 0, json.stderr);
      const answer = JSON.parse(json.stdout);
      assert.equal(answer.id, id);
      assert.ok(answer.outcome === 'delivered' || answer.accepted === 'cancel', `not a delivery: ${json.stdout}`);
    } finally {
      if (id) await idle.client.workflow.getHandle(id).terminate('test over');
      await idle.close();
    }
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
