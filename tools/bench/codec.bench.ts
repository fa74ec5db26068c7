/**
 * Micro-benchmark, one core: the compact binary codec vs JSON on a Binance depth-10 `book.delta`
 * (5 bid + 5 ask levels), and the ingestor's per-frame normalization path — `binance.parseFrame` →
 * `BinanceBookSync.onUpdate` (apply to a 1000-level book) → encode — in msg/s. Medians of several
 * runs. `npx tsx tools/bench/codec.bench.ts`
 */
import { decode, encodeBinary, encodeJson, type BookDelta, type Level } from '@tickmesh/contracts';
import { binance } from '@tickmesh/venues';

const LEVELS_PER_SIDE = 5;
const BOOK_LEVELS = 1000;
const FRAMES = 20_000;
const RUNS = 7;
const CODEC_OPS = 20_000;
const BEST_BID = 6_000_000; // ticks of 0.01: 60000.00

/** mulberry32: deterministic data, so runs compare. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = prng(7);
/** Wire text with 8 decimals, as Binance sends it: 6000001 ticks → "60000.01000000". */
const price = (ticks: number): string =>
  `${Math.floor(ticks / 100)}.${String(ticks % 100).padStart(2, '0')}000000`;
/** Size in lots of 0.00001 (0 removes the level). */
const size = (lots: number): string =>
  `${Math.floor(lots / 100_000)}.${String(lots % 100_000).padStart(5, '0')}000`;

function sideChanges(best: number, dir: 1 | -1): [string, string][] {
  const picked = new Set<number>();
  while (picked.size < LEVELS_PER_SIDE) picked.add(Math.floor(rnd() * 20));
  return [...picked].map((i) => [
    price(best + dir * i),
    size(rnd() < 0.1 ? 0 : 1 + Math.floor(rnd() * 200_000)),
  ]);
}

const snapshot = {
  lastUpdateId: 1000,
  bids: Array.from({ length: BOOK_LEVELS }, (_, i): [string, string] => [
    price(BEST_BID - i),
    size(100_000 + i),
  ]),
  asks: Array.from({ length: BOOK_LEVELS }, (_, i): [string, string] => [
    price(BEST_BID + 1 + i),
    size(100_000 + i),
  ]),
};
const frames = Array.from({ length: FRAMES }, (_, k) =>
  JSON.stringify({
    stream: 'btcusdt@depth@100ms',
    data: {
      e: 'depthUpdate',
      E: 1_700_000_000_000_000 + k * 100,
      s: 'BTCUSDT',
      U: k === 0 ? 1000 : 1001 + k, // the first frame straddles the snapshot's lastUpdateId + 1
      u: 1001 + k,
      b: sideChanges(BEST_BID, -1),
      a: sideChanges(BEST_BID + 1, 1),
    },
  }),
);

function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** Median over RUNS (after one warm-up run) of the ns per op of `fn(ops)`. */
function nsPerOp(ops: number, fn: (ops: number) => void): number {
  fn(ops);
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    fn(ops);
    times.push(Number(process.hrtime.bigint() - t0) / ops);
  }
  return median(times);
}

let sink = 0; // keeps results alive so nothing is optimized away

function delta(seq: number, bids: Level[], asks: Level[], venueTs: number): BookDelta {
  const recvTs = venueTs + 150;
  return {
    type: 'book.delta',
    venue: 'binance',
    symbol: 'BTC-USDT',
    epoch: 1,
    seq,
    prevSeq: seq - 1,
    venueTs,
    recvTs,
    bids,
    asks,
  };
}

// ------------------------------------------------------------------ codec
const first = JSON.parse(frames[0]!) as { data: { E: number; b: Level[]; a: Level[] } };
const sample = delta(1001, first.data.b, first.data.a, first.data.E);
const codecs = [
  ['binary', encodeBinary],
  ['json', encodeJson],
] as const;
const codecRows = codecs.map(([name, encode]) => {
  const bytes = encode(sample);
  const enc = nsPerOp(CODEC_OPS, (n) => {
    for (let i = 0; i < n; i++) sink += encode(sample).length;
  });
  const dec = nsPerOp(CODEC_OPS, (n) => {
    for (let i = 0; i < n; i++) sink += decode(bytes).type.length;
  });
  const both = nsPerOp(CODEC_OPS, (n) => {
    for (let i = 0; i < n; i++) sink += decode(encode(sample)).type.length;
  });
  return { name, bytes: bytes.length, enc, dec, both };
});

// ------------------------------------------------------------------ normalization
type Encode = (m: BookDelta) => Uint8Array;

/** One pass over all frames on a fresh book; `stages` limits how far each frame goes. */
function normalize(stages: 'parse' | 'parse+apply' | Encode): void {
  const sync = new binance.BinanceBookSync();
  const parse = (text: string): binance.DepthUpdate => {
    const ev = binance.parseFrame(text)[0];
    if (ev?.kind !== 'book') throw new Error(`unexpected frame event ${ev?.kind ?? 'none'}`);
    return ev.update;
  };
  sync.onUpdate(parse(frames[0]!));
  const live = sync.onSnapshot(snapshot);
  if (live.kind !== 'live') throw new Error(`book did not go live: ${JSON.stringify(live)}`);
  for (let k = 1; k < FRAMES; k++) {
    const update = parse(frames[k]!);
    if (stages === 'parse') {
      sink += update.u;
      continue;
    }
    const step = sync.onUpdate(update);
    if (step.kind !== 'applied') throw new Error(`frame ${k}: ${step.kind}`);
    if (stages === 'parse+apply') sink += step.seq;
    else sink += stages(delta(step.seq, step.bids, step.asks, step.venueTs)).length;
  }
}

const normRows = (
  [
    ['parseFrame', 'parse'],
    ['parseFrame + BinanceBookSync apply', 'parse+apply'],
    ['parseFrame + apply + encodeBinary', encodeBinary],
    ['parseFrame + apply + encodeJson', encodeJson],
  ] as const
).map(([label, stages]) => {
  const ns = nsPerOp(FRAMES - 1, () => normalize(stages));
  return { label, us: ns / 1000, perSec: 1e9 / ns };
});

const fmt = (v: number, d = 2): string => v.toLocaleString('en-US', { maximumFractionDigits: d });
const out = [
  `# codec micro-benchmark — ${new Date().toISOString()}, node ${process.version}, one core, median of ${RUNS} runs`,
  '',
  `Binance depth-10 \`book.delta\` (${LEVELS_PER_SIDE} bid + ${LEVELS_PER_SIDE} ask levels, 8-decimal wire text); ` +
    `venue frame ${Buffer.byteLength(frames[0]!)} B.`,
  '',
  '| codec | bytes | encode µs | decode µs | encode + decode µs | encode + decode /s |',
  '|---|---:|---:|---:|---:|---:|',
  ...codecRows.map(
    (r) =>
      `| ${r.name} | ${r.bytes} | ${fmt(r.enc / 1000, 3)} | ${fmt(r.dec / 1000, 3)} | ${fmt(r.both / 1000, 3)} | ${fmt(1e9 / r.both, 0)} |`,
  ),
  '',
  `Normalization of ${fmt(FRAMES - 1, 0)} combined-stream depth frames on a ${BOOK_LEVELS}-level book:`,
  '',
  '| stage | µs / msg | msg/s on one core |',
  '|---|---:|---:|',
  ...normRows.map((r) => `| ${r.label} | ${fmt(r.us, 2)} | ${fmt(r.perSec, 0)} |`),
  '',
];
process.stdout.write(out.join('\n'));
if (sink === -1) process.stdout.write(' ');
