// Zero-dependency bootstrap shared by `npm start` and `npm test`: installs npm packages when they
// are missing, and checks (or, as root with apt-get, installs) nats-server and redis-server.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export function which(cmd) {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/usr/bin', '/usr/local/bin']);
  for (const d of dirs) {
    const p = join(d, cmd);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: repoRoot, ...opts });
  if (r.status !== 0) {
    console.error(`\n✖ ${cmd} ${args.join(' ')} failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
}

export function ensureNodeModules() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    console.error(`✖ tickmesh needs Node.js >= 20.19 (this is ${process.version}).`);
    process.exit(1);
  }
  if (!existsSync(join(repoRoot, 'node_modules', '.package-lock.json'))) {
    console.log('• installing npm packages (npm ci)…');
    run('npm', ['ci', '--no-audit', '--no-fund']);
  }
}

export function ensureServers() {
  const missing = ['nats-server', 'redis-server'].filter((c) => which(c) === undefined);
  if (missing.length === 0) return;
  const canApt = process.getuid?.() === 0 && which('apt-get') !== undefined;
  if (!canApt) {
    console.error(
      `✖ missing ${missing.join(' and ')}. Install them first, e.g.\n    sudo apt-get install -y nats-server redis-server\n` +
        `  or point tickmesh at running servers with NATS_URL=nats://… REDIS_URL=redis://…`,
    );
    process.exit(1);
  }
  console.log(`• installing ${missing.join(', ')} (apt-get)…`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', 'nats-server', 'redis-server'], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

export function nx(args) {
  run(process.execPath, [join(repoRoot, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'), ...args], {
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
  });
}
