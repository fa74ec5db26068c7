/** Command-line parsing and dispatch of the ingestor CLI (`dist/cli.mjs`, `src/cli.ts`). */
import { parseArgs } from 'node:util';
import { venueIds } from '@tickmesh/venues';
import { positiveInt, positiveNumber, UsageError, type CliIo } from './io';
import { recordCommand } from './record-command';
import { replayRecording } from './replay-command';
import { ReplayError } from './replayer';

export const USAGE = `tickmesh ingestor CLI: record a venue's feed, replay it through the ingestor's code offline

usage:
  cli.mjs record --venue <venue> --symbols <A,B,..> --output <file.jsonl>
                 [--ws-url <url>] [--rest-url <url>] [--duration <seconds>] [--frames <n>]
                 [--weight-per-minute <n>]
      Follows the symbols exactly as the ingestor does and writes every inbound frame, REST
      response and connection event as JSONL. Stops after --duration, after --frames frames, or
      on SIGINT/SIGTERM, and flushes the file.

  cli.mjs replay --venue <venue> --input <file.jsonl | -> [--depth <n>]
      Replays a recording through the venue's adapter, sync rules and VenueEngine with no network
      and no clock, and prints JSONL on stdout: normalized messages (book.snapshot, book.delta,
      trade, status), sync events ({"event":"gap"|"checksum"|"resync"|"malformed",..}), then one
      line {"books":{..}} with the top --depth levels (default 10) of every symbol's book.

venues: ${venueIds().join(', ')}
exit codes: 0 ok, 1 failure (unreadable input, venue unreachable), 2 bad command line
`;

const recordOptions = {
  venue: { type: 'string' },
  symbols: { type: 'string' },
  output: { type: 'string' },
  'ws-url': { type: 'string' },
  'rest-url': { type: 'string' },
  duration: { type: 'string' },
  frames: { type: 'string' },
  'weight-per-minute': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const replayOptions = {
  venue: { type: 'string' },
  input: { type: 'string' },
  depth: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function required(name: string, value: string | undefined): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`--${name} is required`);
  return value;
}

function venue(value: string | undefined): string {
  const v = required('venue', value);
  if (!venueIds().includes(v))
    throw new UsageError(`unknown venue ${JSON.stringify(v)} (known: ${venueIds().join(', ')})`);
  return v;
}

function help(io: CliIo): number {
  io.stdout.write(USAGE);
  return 0;
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    (command === undefined ? io.stderr : io.stdout).write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === 'record') {
    const { values, positionals } = parseArgs({
      args: rest,
      options: recordOptions,
      strict: true,
      allowPositionals: true,
    });
    if (values.help === true) return help(io);
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const symbols = required('symbols', values.symbols)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const durationSec = positiveNumber('--duration', values.duration);
    const maxFrames = positiveInt('--frames', values.frames);
    const weightPerMinute = positiveInt('--weight-per-minute', values['weight-per-minute']);
    return recordCommand(
      {
        venue: venue(values.venue),
        symbols,
        output: required('output', values.output),
        ...(values['ws-url'] !== undefined ? { wsUrl: values['ws-url'] } : {}),
        ...(values['rest-url'] !== undefined ? { restUrl: values['rest-url'] } : {}),
        ...(durationSec !== undefined ? { durationSec } : {}),
        ...(maxFrames !== undefined ? { maxFrames } : {}),
        ...(weightPerMinute !== undefined ? { weightPerMinute } : {}),
      },
      io.stderr,
    );
  }
  if (command === 'replay') {
    const { values, positionals } = parseArgs({
      args: rest,
      options: replayOptions,
      strict: true,
      allowPositionals: true,
    });
    if (values.help === true) return help(io);
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const depth = positiveInt('--depth', values.depth);
    try {
      await replayRecording(
        {
          venue: venue(values.venue),
          input: required('input', values.input),
          ...(depth !== undefined ? { depth } : {}),
        },
        io.stdout,
      );
      return 0;
    } catch (err) {
      if (!(err instanceof ReplayError)) throw err;
      io.stderr.write(`replay: ${err.message}\n`);
      return 1;
    }
  }
  throw new UsageError(`unknown command ${JSON.stringify(command)} (record | replay | --help)`);
}

/** Runs the CLI; resolves with the process exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    return await run(argv, io);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const usage =
      err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'));
    io.stderr.write(`${(err as Error).message}\n`);
    if (usage) {
      io.stderr.write('run with --help for usage\n');
      return 2;
    }
    return 1;
  }
}
