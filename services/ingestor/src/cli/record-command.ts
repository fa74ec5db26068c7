/**
 * `record --venue <venue> --symbols A,B --output <file> [--ws-url U] [--rest-url U] [--duration S]
 * [--frames N]`: records until the duration passes, N frames are written, or SIGINT/SIGTERM; then
 * flushes the file and prints a summary on stderr.
 */
import type { SyncStatus } from '@tickmesh/contracts';
import type { OutStream } from './io';
import { Recorder } from './recorder';

export interface RecordCommandOptions {
  venue: string;
  symbols: string[];
  output: string;
  wsUrl?: string;
  restUrl?: string;
  durationSec?: number;
  maxFrames?: number;
  weightPerMinute?: number;
}

/** Runs a recording to its end; resolves with the exit code. */
export async function recordCommand(opts: RecordCommandOptions, stderr: OutStream): Promise<number> {
  const say = (text: string): void => void stderr.write(`record: ${text}\n`);
  let recorder: Recorder;
  try {
    recorder = await Recorder.start({
      venue: opts.venue,
      symbols: opts.symbols,
      output: opts.output,
      ...(opts.wsUrl !== undefined ? { wsUrl: opts.wsUrl } : {}),
      ...(opts.restUrl !== undefined ? { restUrl: opts.restUrl } : {}),
      ...(opts.maxFrames !== undefined ? { maxFrames: opts.maxFrames } : {}),
      ...(opts.weightPerMinute !== undefined ? { weightPerMinute: opts.weightPerMinute } : {}),
      onStatus: (m: SyncStatus) =>
        say(`${m.symbol} ${m.state}${m.reason !== '' ? ` (${m.reason})` : ''} epoch ${m.epoch}`),
    });
  } catch (err) {
    say((err as Error).message);
    return 1;
  }
  if (recorder.unknownSymbols.length > 0)
    say(`unknown to ${opts.venue}, not recorded: ${recorder.unknownSymbols.join(', ')}`);
  if (recorder.engine?.natives.length === 0) {
    await recorder.stop();
    say('none of the symbols is listed by the venue: nothing to record');
    return 1;
  }

  let timer: NodeJS.Timeout | undefined;
  let onSignal: (() => void) | undefined;
  const stopSignal = new Promise<string>((resolve) => {
    onSignal = () => resolve('signal');
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    if (opts.durationSec !== undefined)
      timer = setTimeout(() => resolve('duration'), opts.durationSec * 1000);
  });
  say(
    `recording ${recorder.engine?.natives.join(',')} to ${opts.output}` +
      (opts.durationSec !== undefined ? ` for ${opts.durationSec} s` : '') +
      (opts.maxFrames !== undefined ? ` (at most ${opts.maxFrames} frames)` : '') +
      '; Ctrl-C stops',
  );
  await Promise.race([stopSignal, recorder.done]);
  clearTimeout(timer);
  process.off('SIGINT', onSignal!);
  process.off('SIGTERM', onSignal!);
  await recorder.stop();

  const s = recorder.stats;
  say(
    `wrote ${s.frames} frames and ${s.rest} REST responses` +
      (s.restErrors > 0 ? ` (+${s.restErrors} failed requests)` : '') +
      ` to ${opts.output}` +
      (s.malformed > 0 ? `; ${s.malformed} frames did not parse` : ''),
  );
  if (recorder.failure !== undefined) {
    say(`writing ${opts.output} failed: ${recorder.failure.message}`);
    return 1;
  }
  return 0;
}
