// `status --watch`: polls the operation until it ends, as live bars on a terminal, lines or JSON otherwise.
import { setTimeout as sleep } from 'node:timers/promises';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { seg, type ApiClient } from './client';
import { CliError, EXIT, UnreachableError } from './errors';
import { formatTime } from './render';
import { approvalHint, doneOf, pauseHint, progressLine } from './render-operations';
import type { OperationStatus } from './types';

/** States after which nothing will change; `unknown` means Temporal no longer keeps the workflow. */
const ENDED_STATES: readonly string[] = ['completed', 'failed', 'cancelled', 'unknown'];

/** A blip of the API (a restart, a 503 while Temporal fails over) should not end a long watch. */
const MAX_CONSECUTIVE_ERRORS = 10;

export interface WatchOptions {
  intervalMs: number;
  mode: 'bars' | 'lines' | 'json';
  out?: NodeJS.WriteStream;
  err?: NodeJS.WriteStream;
}

interface View {
  update(s: OperationStatus): void;
  warn(message: string): void;
  stop(): void;
}

const clock = () => formatTime(new Date().toISOString()).slice(11, 19);

/** One JSON status per line whenever the answer changes; the last line is the final status. */
function jsonView(out: NodeJS.WriteStream, err: NodeJS.WriteStream): View {
  let last = '';
  return {
    update(s) {
      const line = JSON.stringify(s);
      if (line !== last) out.write(`${line}\n`);
      last = line;
    },
    warn: (m) => err.write(`${m}\n`),
    stop: () => undefined,
  };
}

/** For logs and pipes: a timestamped line per change, and each hint once when it appears. */
function linesView(out: NodeJS.WriteStream, err: NodeJS.WriteStream): View {
  let lastLine = '';
  let lastHints = new Set<string>();
  return {
    update(s) {
      const line = progressLine(s);
      if (line !== lastLine) out.write(`${clock()} ${line}\n`);
      lastLine = line;
      const hints = new Set([approvalHint(s), pauseHint(s)].filter((h): h is string => h !== null));
      for (const hint of hints) if (!lastHints.has(hint)) out.write(`${clock()} ${hint}\n`);
      lastHints = hints;
    },
    warn: (m) => err.write(`${clock()} ${m}\n`),
    stop: () => undefined,
  };
}

const BOLD_YELLOW = (text: string) => `\x1b[1;33m${text}\x1b[0m`;

/** For a terminal: a header line and one bar per wave, redrawn in place; hints printed above them. */
function barsView(out: NodeJS.WriteStream): View {
  const multibar = new MultiBar(
    {
      stream: out,
      hideCursor: true,
      clearOnComplete: false,
      autopadding: true,
      barsize: 30,
      fps: 10,
      format: '{label} |{bar}| {value}/{total} {detail}',
    },
    Presets.shades_classic,
  );
  let header: SingleBar | undefined;
  const bars = new Map<number, SingleBar>();
  let lastHints = new Set<string>();
  return {
    update(s) {
      header ??= multibar.create(1, 0, { line: '' }, { format: '{line}' });
      header.update(0, { line: `${s.id}: ${s.state} · ${doneOf(s.counts)}/${s.counts.total} done` });
      const width = Math.max(...s.waves.map((w) => `wave ${w.number} ${w.name}`.length));
      for (const w of s.waves) {
        const label = `wave ${w.number} ${w.name}`.padEnd(width);
        const c = w.counts;
        const detail = `✓ ${c.succeeded}  ✗ ${c.failed + c.rolled_back}  ⟳ ${c.running}  ${w.state}`;
        // cli-progress cannot draw a bar of total 0: an empty wave shows as full.
        const total = Math.max(w.size, 1);
        const value = w.size === 0 ? 1 : doneOf(c);
        const bar = bars.get(w.number);
        if (bar) bar.update(value, { label, detail });
        else bars.set(w.number, multibar.create(total, value, { label, detail }));
      }
      const hints = new Set([approvalHint(s), pauseHint(s)].filter((h): h is string => h !== null));
      for (const hint of hints) if (!lastHints.has(hint)) multibar.log(`${BOLD_YELLOW(hint)}\n`);
      lastHints = hints;
    },
    warn: (m) => multibar.log(`${m}\n`),
    stop: () => multibar.stop(),
  };
}

const transient = (err: unknown) =>
  err instanceof UnreachableError || (err instanceof CliError && err.exitCode === EXIT.unavailable);

/** Polls GET /v1/operations/:id until the operation ends; returns the final status. */
export async function watchOperation(client: ApiClient, id: string, opts: WatchOptions): Promise<OperationStatus> {
  const out = opts.out ?? process.stdout;
  const err = opts.err ?? process.stderr;
  const view = opts.mode === 'json' ? jsonView(out, err) : opts.mode === 'lines' ? linesView(out, err) : barsView(out);
  const onInterrupt = () => {
    view.stop();
    err.write(`\nstopped watching; operation ${id} goes on (fleetwave status ${id})\n`);
    process.exit(EXIT.interrupted);
  };
  process.once('SIGINT', onInterrupt);
  let errors = 0;
  try {
    for (;;) {
      let status: OperationStatus;
      try {
        status = await client.get<OperationStatus>(`/v1/operations/${seg(id)}`);
        errors = 0;
      } catch (e) {
        if (!transient(e) || ++errors > MAX_CONSECUTIVE_ERRORS) throw e;
        view.warn(`warning: ${(e as Error).message}; retrying (${errors}/${MAX_CONSECUTIVE_ERRORS})`);
        await sleep(opts.intervalMs);
        continue;
      }
      view.update(status);
      if (ENDED_STATES.includes(status.state)) return status;
      await sleep(opts.intervalMs);
    }
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    view.stop();
  }
}
