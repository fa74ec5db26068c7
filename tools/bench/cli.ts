/**
 * Command line of `npm run bench`: options, defaults and validation. Rates are TOTAL venue depth
 * updates per second across all symbols; the simulator is given rate ÷ symbols per symbol.
 */
import { parseArgs } from 'node:util';
import { PIPELINES, type Pipeline } from './stack';

export interface BenchOptions {
  /** which pipeline(s) to run: `both` runs every rate on tickmesh, then on naive (fresh stack each) */
  pipeline: Pipeline | 'both';
  /** total venue depth updates/s (all symbols together), one point per rate, in the order given */
  rates: number[];
  symbols: number;
  clients: number;
  /** measurement window, seconds */
  duration: number;
  /** warm-up before the first window, seconds */
  warmup: number;
  findMax: boolean;
  /** total rates tried by --find-max, ascending */
  steps: number[];
  /** --find-max latency bound: p99 ≤ this many ms */
  maxP99Ms: number;
  out: string;
  build: boolean;
  /** measurement windows per point; the report shows medians */
  repeat: number;
  /** levels changed per depth update (SIM_LEVELS_PER_UPDATE) */
  levels: number;
  /** trades/s per symbol (SIM_TRADE_RATE) */
  tradeRate: number;
}

export const DEFAULT_STEPS = [
  1000, 2000, 5000, 10_000, 15_000, 20_000, 30_000, 40_000, 50_000, 60_000, 80_000, 100_000,
];

export const USAGE = `Usage: npm run bench -- [options]

  --pipeline P     tickmesh | naive | both (default tickmesh); naive is the baseline in
                   tools/bench/naive/, both runs each rate on both and adds a comparison
  --rate N[,N…]    total venue depth updates/s across all symbols (default 2000); a list runs
                   one point per rate
  --symbols N      simulated symbols (default 10)
  --clients N      WebSocket SDK clients, each subscribed to every symbol's tob (default 10)
  --duration S     measurement window, seconds (default 20)
  --warmup S       warm-up before measuring, seconds (default 5)
  --repeat N       measurement windows per point; medians are reported (default 1)
  --find-max       step the rate up (see --steps) and report the highest sustained rate
  --steps LIST     comma-separated total rates for --find-max (default ${DEFAULT_STEPS.join(',')})
  --max-p99 MS     --find-max latency bound on p99, ms (default 10)
  --levels N       levels changed per depth update, SIM_LEVELS_PER_UPDATE (default 10)
  --trade-rate N   trades/s per symbol, SIM_TRADE_RATE (default 0)
  --out DIR        where the JSON and markdown go (default bench-results/)
  --no-build       do not build the services first (they must already be in services/*/dist)
  -h, --help       this text
`;

export function parseCli(argv: readonly string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      pipeline: { type: 'string', default: 'tickmesh' },
      rate: { type: 'string', default: '2000' },
      symbols: { type: 'string', default: '10' },
      clients: { type: 'string', default: '10' },
      duration: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '5' },
      repeat: { type: 'string', default: '1' },
      'find-max': { type: 'boolean', default: false },
      steps: { type: 'string', default: DEFAULT_STEPS.join(',') },
      'max-p99': { type: 'string', default: '10' },
      levels: { type: 'string', default: '10' },
      'trade-rate': { type: 'string', default: '0' },
      out: { type: 'string', default: 'bench-results' },
      'no-build': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const pipeline = values.pipeline;
  if (pipeline !== 'both' && !(PIPELINES as readonly string[]).includes(pipeline))
    throw new Error(`--pipeline: expected ${PIPELINES.join(', ')} or both, got "${pipeline}"`);
  const opts: BenchOptions = {
    pipeline: pipeline as Pipeline | 'both',
    rates: values.rate
      .split(',')
      .filter((s) => s.trim() !== '')
      .map((s) => num('rate', s, 0.001)),
    symbols: int('symbols', values.symbols, 1, 1000),
    clients: int('clients', values.clients, 1, 10_000),
    duration: num('duration', values.duration, 1),
    warmup: num('warmup', values.warmup, 0),
    repeat: int('repeat', values.repeat, 1, 100),
    findMax: values['find-max'],
    steps: values.steps
      .split(',')
      .filter((s) => s.trim() !== '')
      .map((s) => num('steps', s, 0.001))
      .sort((a, b) => a - b),
    maxP99Ms: num('max-p99', values['max-p99'], 0.001),
    levels: int('levels', values.levels, 1, 100),
    tradeRate: num('trade-rate', values['trade-rate'], 0),
    out: values.out,
    build: !values['no-build'],
  };
  if (opts.rates.length === 0) throw new Error('--rate: give at least one rate');
  if (opts.findMax && opts.steps.length === 0) throw new Error('--steps: give at least one rate');
  return opts;
}

function num(name: string, text: string, min: number): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < min)
    throw new Error(`--${name}: expected a number ≥ ${min}, got "${text}"`);
  return v;
}

function int(name: string, text: string, min: number, max: number): number {
  const v = num(name, text, min);
  if (!Number.isInteger(v) || v > max)
    throw new Error(`--${name}: expected an integer in ${min}..${max}, got "${text}"`);
  return v;
}
