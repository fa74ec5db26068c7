#!/usr/bin/env node
/**
 * The ingestor's command-line tool: `record` a venue's feed to JSONL, `replay` it offline through
 * the same adapter, sync and engine code (see README.md). Bundled to dist/cli.mjs beside the
 * service; during development: `tsx services/ingestor/src/cli.ts <command> ...`.
 */
import { runCli } from './cli/main';

// library logs (pino, on stdout) stay quiet unless asked for; the root logger is created lazily
process.env['LOG_LEVEL'] ??= 'warn';
// `replay ... | head`: the reader went away; stop quietly instead of an unhandled EPIPE
process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 1));
const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
// exit once stdout has taken everything (a recording's sockets and timers are already closed)
process.stdout.write('', () => process.exit(code));
