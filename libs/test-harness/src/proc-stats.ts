import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { HarnessError } from './errors';

/** CPU time and memory of one process, as benchmarks report them. Linux only (/proc). */
export interface PidStats {
  /** CPU time in user mode since the process started. */
  readonly utimeMs: number;
  /** CPU time in kernel mode since the process started. */
  readonly stimeMs: number;
  /** Resident set size now (VmRSS). */
  readonly rssBytes: number;
}

const DEFAULT_CLK_TCK = 100;
let clockTicks: number | undefined;

/** Kernel clock ticks per second (`getconf CLK_TCK`), cached; 100 when getconf is unavailable. */
export function clockTicksPerSecond(): number {
  if (clockTicks !== undefined) return clockTicks;
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000 }).trim());
    clockTicks = Number.isInteger(value) && value > 0 ? value : DEFAULT_CLK_TCK;
  } catch {
    clockTicks = DEFAULT_CLK_TCK;
  }
  return clockTicks;
}

/**
 * utime and stime in clock ticks from the text of /proc/<pid>/stat. The command name (field 2) is
 * in parentheses and may itself contain spaces and ')', so fields are counted from the last ')'.
 */
export function parseProcStat(text: string): { utimeTicks: number; stimeTicks: number } {
  const close = text.lastIndexOf(')');
  // After "pid (comm) " come fields 3.. (state, ppid, ...); utime is field 14, stime field 15.
  const fields =
    close === -1
      ? []
      : text
          .slice(close + 2)
          .trim()
          .split(/\s+/);
  const utimeTicks = Number(fields[11]);
  const stimeTicks = Number(fields[12]);
  if (!Number.isFinite(utimeTicks) || !Number.isFinite(stimeTicks)) {
    throw new HarnessError(
      'INVALID',
      `unexpected /proc/<pid>/stat content: ${JSON.stringify(text.slice(0, 120))}`,
    );
  }
  return { utimeTicks, stimeTicks };
}

/** VmRSS in bytes from the text of /proc/<pid>/status; 0 for a zombie (no VmRSS line). */
export function parseVmRss(text: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(text);
  return match === null ? 0 : Number(match[1]) * 1024;
}

/**
 * CPU and memory of a live process from /proc/<pid>/stat and /proc/<pid>/status. Sample it twice
 * and subtract to get CPU used over an interval.
 *
 * @throws HarnessError code `EXITED` when the process does not exist (any more).
 */
export async function pidStats(pid: number): Promise<PidStats> {
  let stat: string;
  let status: string;
  try {
    [stat, status] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/status`, 'utf8'),
    ]);
  } catch (err) {
    throw new HarnessError('EXITED', `no process ${pid} in /proc (it exited, or this is not Linux)`, {
      cause: err,
    });
  }
  const { utimeTicks, stimeTicks } = parseProcStat(stat);
  const msPerTick = 1000 / clockTicksPerSecond();
  return {
    utimeMs: utimeTicks * msPerTick,
    stimeMs: stimeTicks * msPerTick,
    rssBytes: parseVmRss(status),
  };
}
