/** The process entry: env configuration, the "listening" line, clean SIGTERM, config errors. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

function start(env: Record<string, string>): { child: ChildProcess; lines: AsyncIterator<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lines = createInterface({ input: child.stderr! })[Symbol.asyncIterator]();
  return { child, lines };
}

async function findLine(lines: AsyncIterator<string>, msg: string): Promise<Record<string, unknown>> {
  for (;;) {
    const next = await lines.next();
    if (next.done === true) throw new Error(`stderr ended before "${msg}"`);
    const rec = JSON.parse(next.value) as Record<string, unknown>;
    if (rec['msg'] === msg) return rec;
  }
}

test('starts from env on an ephemeral port, logs it, serves, and exits 0 on SIGTERM', async () => {
  const { child, lines } = start({ SIM_PORT: '0', SIM_SYMBOLS: 'BTCUSDT:BTC:USDT', SIM_RATE: '50' });
  const exited = once(child, 'exit');
  try {
    const listening = await findLine(lines, 'listening');
    const port = listening['port'] as number;
    assert.ok(Number.isInteger(port) && port > 0);
    assert.equal(listening['level'], 'info');
    const res = await fetch(`http://127.0.0.1:${port}/api/v3/exchangeInfo`);
    assert.equal(res.status, 200);
    const info = (await res.json()) as { symbols: { symbol: string }[] };
    assert.deepEqual(
      info.symbols.map((x) => x.symbol),
      ['BTCUSDT'],
    );
  } finally {
    child.kill('SIGTERM');
  }
  const [code] = await exited;
  assert.equal(code, 0);
});

test('invalid configuration exits 2 listing the problems', async () => {
  const { child, lines } = start({ SIM_PORT: 'x', SIM_RATE: '-5' });
  const exited = once(child, 'exit');
  const rec = await findLine(lines, 'invalid configuration');
  assert.equal(rec['level'], 'error');
  assert.equal((rec['problems'] as string[]).length, 2);
  const [code] = await exited;
  assert.equal(code, 2);
});
