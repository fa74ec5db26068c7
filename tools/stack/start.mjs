#!/usr/bin/env node
// `npm start`: the whole tickmesh stack on this machine, as separate processes —
// nats-server (JetStream) and redis-server (unless NATS_URL / REDIS_URL are given), the venue
// simulator, one ingestor per venue, the book-builder and the gateway. Ctrl-C stops everything.
//
//   npm start                 simulator (offline, the default)
//   npm start -- --live       the venues' real endpoints instead of the simulator
//
// Environment: NATS_URL, REDIS_URL (use running servers), VENUES (ingestors to run, default
// binance,bybit,okx,coinbase,kraken), STACK_PAIRS (default BTC/USDT,ETH/USDT,SOL/USDT; spelled per venue),
// SYMBOLS_<VENUE> (that venue's native symbols, overriding STACK_PAIRS), SIM_RATE (simulated updates/s per symbol), GATEWAY_PORT (8080),
// TICKMESH_LIVE=1 (same as --live), LOG_LEVEL.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureNodeModules, ensureServers, nx, repoRoot, which } from '../bootstrap.mjs';

const live = process.argv.includes('--live') || process.env.TICKMESH_LIVE === '1';
const env = process.env;
const ports = {
  nats: Number(env.STACK_NATS_PORT ?? 14222),
  redis: Number(env.STACK_REDIS_PORT ?? 16379),
  sim: Number(env.SIM_PORT ?? 9100),
  gateway: Number(env.GATEWAY_PORT ?? 8080),
  ingestor: 8081,
  bookBuilder: 8082,
  gatewayHttp: 8083,
};
// The instruments every venue lists (base/quote); each venue spells its native symbols its way.
const pairs = (env.STACK_PAIRS ?? 'BTC/USDT,ETH/USDT,SOL/USDT').split(',').map((p) => p.trim().split('/'));
const spelling = { okx: '-', coinbase: '-', kraken: '/' };
const nativesFor = (venue) =>
  pairs.map(([b, q]) => `${b}${spelling[venue.replace(/swap|linear$/, '')] ?? ''}${q}`).join(',');

ensureNodeModules();
if (!env.NATS_URL || !env.REDIS_URL) ensureServers();
console.log('• building services and the dashboard…');
// every project with a build target: the service bundles and services/dashboard/dist, which the
// gateway serves at / (it finds it next to its own bundle; see services/gateway/src/static-files.ts)
nx(['run-many', '-t', 'build', '--outputStyle=stream', '--skip-nx-cache=false']);

const children = [];
const dataDir = mkdtempSync(join(tmpdir(), 'tickmesh-stack-'));
let stopping = false;
const colors = [36, 33, 35, 32, 34, 31, 90];

function start(name, cmd, args, extraEnv = {}) {
  const color = colors[children.length % colors.length];
  // Own process group: Ctrl-C reaches only this runner, which stops the services first (they
  // drain to NATS and Redis) and the servers last.
  const child = spawn(cmd, args, {
    cwd: repoRoot,
    env: { ...env, ...extraEnv, TICKMESH_SERVICE: name },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const prefix = `\x1b[${color}m${name.padEnd(13)}\x1b[0m│ `;
  const pipe = (stream) => {
    let buf = '';
    stream.on('data', (d) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        process.stdout.write(prefix + buf.slice(0, i) + '\n');
        buf = buf.slice(i + 1);
      }
    });
  };
  pipe(child.stdout);
  pipe(child.stderr);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`✖ ${name} exited (${signal ?? code}); stopping the stack`);
      void stopAll(1);
    }
  });
  children.push({ name, child });
  return child;
}

async function waitHttp(url, name, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    if (stopping) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not become healthy at ${url} within ${timeoutMs} ms`);
}

async function waitTcp(port, name) {
  const { connect } = await import('node:net');
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const ok = await new Promise((res) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), res(true)));
      s.once('error', () => res(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} not listening on ${port}`);
}

function stopChild({ child }) {
  return new Promise((res) => {
    if (child.exitCode !== null || child.signalCode !== null) return res();
    const t = setTimeout(() => (child.kill('SIGKILL'), res()), 8000);
    child.once('exit', () => (clearTimeout(t), res()));
    child.kill('SIGTERM');
  });
}

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  console.log('\n• stopping…');
  const servers = new Set(['nats-server', 'redis-server']);
  // services first (they drain to NATS and Redis), in reverse start order; servers last
  await Promise.all(children.filter((c) => !servers.has(c.name)).map(stopChild));
  await Promise.all(children.filter((c) => servers.has(c.name)).map(stopChild));
  rmSync(dataDir, { recursive: true, force: true });
  console.log('• stopped');
  process.exit(code);
}
// never leave a detached child behind, whatever ends this runner
process.on('exit', () => {
  for (const { child } of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

try {
  const natsUrl = env.NATS_URL ?? `nats://127.0.0.1:${ports.nats}`;
  const redisUrl = env.REDIS_URL ?? `redis://127.0.0.1:${ports.redis}`;
  if (!env.NATS_URL) {
    start('nats-server', which('nats-server'), [
      '-a',
      '127.0.0.1',
      '-p',
      String(ports.nats),
      '-js',
      '-sd',
      join(dataDir, 'js'),
    ]);
    await waitTcp(ports.nats, 'nats-server');
  }
  if (!env.REDIS_URL) {
    start('redis-server', which('redis-server'), [
      '--bind',
      '127.0.0.1',
      '--port',
      String(ports.redis),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dataDir,
    ]);
    await waitTcp(ports.redis, 'redis-server');
  }
  const node = process.execPath;
  const svc = (name) => join(repoRoot, 'services', name, 'dist', 'main.mjs');
  const common = { NATS_URL: natsUrl, REDIS_URL: redisUrl, HTTP_HOST: '127.0.0.1' };
  let venueEnv = {};
  if (!live) {
    start('venue-sim', node, [svc('venue-sim')], {
      SIM_HOST: '127.0.0.1',
      SIM_PORT: String(ports.sim),
      SIM_SYMBOLS: env.SIM_SYMBOLS ?? pairs.map(([b, q]) => `${b}${q}:${b}:${q}`).join(','),
    });
    await waitHttp(`http://127.0.0.1:${ports.sim}/sim/health`, 'venue-sim');
    venueEnv = {
      VENUE_WS_URL: `ws://127.0.0.1:${ports.sim}`,
      VENUE_REST_URL: `http://127.0.0.1:${ports.sim}`,
    };
  }
  // one ingestor process per venue: a venue failing never touches another
  const venues = (env.VENUES ?? 'binance,bybit,okx,coinbase,kraken').split(',').map((v) => v.trim());
  const ingestorPort = (i) => ports.ingestor + (i === 0 ? 0 : 2 + i); // 8081, 8084, 8085, ...
  venues.forEach((venue, i) =>
    start(`ingestor-${venue}`, node, [svc('ingestor')], {
      ...common,
      ...venueEnv,
      VENUE: venue,
      SYMBOLS: env[`SYMBOLS_${venue.toUpperCase()}`] ?? nativesFor(venue),
      HTTP_PORT: String(ingestorPort(i)),
    }),
  );
  start('book-builder', node, [svc('book-builder')], { ...common, HTTP_PORT: String(ports.bookBuilder) });
  start('gateway', node, [svc('gateway')], {
    ...common,
    GATEWAY_HOST: '127.0.0.1',
    GATEWAY_PORT: String(ports.gateway),
    HTTP_PORT: String(ports.gatewayHttp),
  });
  await Promise.all([
    ...venues.map((v, i) => waitHttp(`http://127.0.0.1:${ingestorPort(i)}/healthz`, `ingestor-${v}`)),
    waitHttp(`http://127.0.0.1:${ports.bookBuilder}/healthz`, 'book-builder'),
    waitHttp(`http://127.0.0.1:${ports.gatewayHttp}/healthz`, 'gateway'),
  ]);
  const g = `127.0.0.1:${ports.gateway}`;
  console.log(`
┌──────────────────────────────────────────────────────────────────────────────
│ tickmesh is running (${live ? 'LIVE venue endpoints' : 'simulator'}) — Ctrl-C stops everything
│   venues     ${venues.join(', ')}
│   dashboard  http://${g}/
│   WebSocket  ws://${g}/ws      send {"op":"subscribe","channels":["tob.binance.BTC-USDT"]}
│   SSE        http://${g}/sse?channels=tob.binance.BTC-USDT,tob.bybit.BTC-USDT
│   health     http://127.0.0.1:${ports.ingestor}/readyz  :${ports.bookBuilder}/readyz  :${ports.gatewayHttp}/readyz   (/metrics)
│   NATS ${natsUrl}   Redis ${redisUrl}${live ? '' : `   simulator http://127.0.0.1:${ports.sim}/sim/stats`}
└──────────────────────────────────────────────────────────────────────────────`);
} catch (err) {
  console.error(`✖ ${err.message}`);
  await stopAll(1);
}
