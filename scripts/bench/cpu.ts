// Where the CPU goes during a bench phase: CPU seconds (user + system, from /proc) of each part of the
// stack, told apart by command line. On Linux only; elsewhere every figure is null.
import fs from 'node:fs';

export const CPU_PARTS = [
  'engine workers',
  'API',
  'Temporal server',
  'PostgreSQL',
  'baseline workers',
  'bench',
] as const;
export type CpuPart = (typeof CPU_PARTS)[number];
export type CpuSeconds = Record<CpuPart, number>;

/** Clock ticks per second of /proc's utime and stime (USER_HZ; 100 on Linux). */
const TICKS = 100;

function partOf(pid: number, cmdline: string, comm: string): CpuPart | undefined {
  if (pid === process.pid) return 'bench';
  if (comm === 'postgres') return 'PostgreSQL';
  if (cmdline.includes('worker/main.ts')) return 'engine workers';
  if (cmdline.includes('api/main.ts')) return 'API';
  if (cmdline.includes('baseline-worker.ts')) return 'baseline workers';
  if (/\bstart-dev\b/.test(cmdline) || /temporal-server-[\d.]+\/server/.test(cmdline)) return 'Temporal server';
  return undefined;
}

/** CPU seconds used so far by every process of each part (null where /proc cannot be read). */
export function sampleCpu(): CpuSeconds | null {
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  const total = Object.fromEntries(CPU_PARTS.map((p) => [p, 0])) as CpuSeconds;
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const part = partOf(Number(pid), cmdline, comm);
      if (!part) continue;
      // Fields after the command: state is field 3, utime 14 and stime 15.
      const fields = stat.slice(close + 2).split(' ');
      total[part] += (Number(fields[11]) + Number(fields[12])) / TICKS;
    } catch {
      // the process ended between the listing and the read
    }
  }
  return total;
}

/** What each part used between two samples. */
export function cpuUsed(before: CpuSeconds | null, after: CpuSeconds | null): CpuSeconds | null {
  if (!before || !after) return null;
  return Object.fromEntries(CPU_PARTS.map((p) => [p, Math.max(0, after[p] - before[p])])) as CpuSeconds;
}
