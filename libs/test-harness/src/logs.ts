import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Env switch that keeps every temp dir (logs, JetStream store) after the run, pass or fail. */
export const KEEP_LOGS_ENV = 'TICKMESH_KEEP_LOGS';

export function keepLogsFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[KEEP_LOGS_ENV] === '1';
}

/**
 * A fresh directory under the OS temp dir for one server or service: its log file and, for NATS,
 * the JetStream store. The name starts with the resource name so a kept dir is easy to find.
 */
export function makeRunDir(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40) || 'run';
  return mkdtempSync(join(tmpdir(), `tickmesh-${safe}-`));
}

/** Re-creates a run dir that was removed (a server restarted after `stop()`). */
export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

const CHUNK = 16 * 1024;

/**
 * The last `lines` lines of a file, read backwards in chunks so a large benchmark log costs only
 * its tail. Synchronous on purpose: it is called from error paths and `t.after` hooks where the
 * text is needed now. A missing file reads as ''.
 */
export function readTail(file: string, lines = 50): string {
  if (lines <= 0) return '';
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = statSync(file).size;
    const chunks: Buffer[] = [];
    let start = size;
    let newlines = 0;
    // Stop once there is one newline more than needed (the file's own trailing newline). Chunks
    // are decoded together so a multi-byte character split across two reads stays intact.
    while (start > 0 && newlines <= lines) {
      const from = Math.max(0, start - CHUNK);
      const buf = Buffer.alloc(start - from);
      readSync(fd, buf, 0, buf.length, from);
      chunks.unshift(buf);
      newlines += countNewlines(buf);
      start = from;
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const all = text.endsWith('\n') ? text.slice(0, -1) : text;
    return all.split('\n').slice(-lines).join('\n');
  } finally {
    closeSync(fd);
  }
}

/** Bytes in a file, 0 when it does not exist: lets a caller read "only what came after X". */
export function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The text appended to `file` since byte `offset`. */
export function readFrom(file: string, offset: number): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = statSync(file).size;
    if (size <= offset) return '';
    const buf = Buffer.alloc(size - offset);
    readSync(fd, buf, 0, buf.length, offset);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function countNewlines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, i + 1)) n += 1;
  return n;
}
