/** `replay --venue <venue> --input <file|-> [--depth N]`: a recording in, JSONL on stdout. */
import { open, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { LineWriter, type OutStream } from './io';
import { Replayer, ReplayError } from './replayer';

export interface ReplayCommandOptions {
  venue: string;
  /** a file, or `-` for stdin */
  input: string;
  depth?: number;
}

async function inputStream(input: string): Promise<Readable> {
  if (input === '-') return process.stdin;
  try {
    if ((await stat(input)).isDirectory()) throw new ReplayError(`cannot read ${input}: it is a directory`);
    return (await open(input, 'r')).createReadStream({ encoding: 'utf8' });
  } catch (err) {
    if (err instanceof ReplayError) throw err;
    throw new ReplayError(`cannot read ${input}: ${(err as Error).message}`);
  }
}

/**
 * Replays the recording to `out`, resolving when everything is written. Throws ReplayError when the
 * input cannot be read or holds no usable recording (malformed lines are reported, not thrown).
 */
export async function replayRecording(opts: ReplayCommandOptions, out: OutStream): Promise<void> {
  const writer = new LineWriter(out);
  const replayer = new Replayer(
    { venue: opts.venue, ...(opts.depth !== undefined ? { depth: opts.depth } : {}) },
    (line) => writer.push(line),
  );
  const stream = await inputStream(opts.input);
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      replayer.line(line);
      await writer.flush();
    }
  } catch (err) {
    if (err instanceof ReplayError) throw err;
    throw new ReplayError(`cannot read ${opts.input}: ${(err as Error).message}`);
  } finally {
    lines.close();
    if (stream !== process.stdin) stream.destroy();
    await writer.flush(true);
  }
  replayer.finish();
  await writer.flush(true);
}
