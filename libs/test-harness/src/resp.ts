import { connect } from 'node:net';

/**
 * A minimal RESP2 client: one command per connection, enough for a readiness `PING` and for tests
 * that check what landed in Redis without pulling in ioredis. Not for hot paths.
 */

export type RespReply =
  | { readonly kind: 'simple'; readonly value: string }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'integer'; readonly value: number }
  | { readonly kind: 'bulk'; readonly value: string | null }
  | { readonly kind: 'array'; readonly value: readonly RespReply[] | null };

export function encodeCommand(args: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.from(arg, 'utf8');
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

interface Parsed {
  readonly reply: RespReply;
  readonly next: number;
}

/** Parses one reply starting at `offset`; `undefined` when the buffer does not hold all of it yet. */
export function parseReply(buf: Buffer, offset = 0): Parsed | undefined {
  const lineEnd = buf.indexOf('\r\n', offset);
  if (lineEnd === -1) return undefined;
  const type = String.fromCharCode(buf[offset]!);
  const line = buf.toString('utf8', offset + 1, lineEnd);
  const afterLine = lineEnd + 2;
  switch (type) {
    case '+':
      return { reply: { kind: 'simple', value: line }, next: afterLine };
    case '-':
      return { reply: { kind: 'error', message: line }, next: afterLine };
    case ':':
      return { reply: { kind: 'integer', value: Number(line) }, next: afterLine };
    case '$': {
      const length = Number(line);
      if (length < 0) return { reply: { kind: 'bulk', value: null }, next: afterLine };
      if (buf.length < afterLine + length + 2) return undefined;
      const value = buf.toString('utf8', afterLine, afterLine + length);
      return { reply: { kind: 'bulk', value }, next: afterLine + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { reply: { kind: 'array', value: null }, next: afterLine };
      const items: RespReply[] = [];
      let next = afterLine;
      for (let i = 0; i < count; i += 1) {
        const item = parseReply(buf, next);
        if (item === undefined) return undefined;
        items.push(item.reply);
        next = item.next;
      }
      return { reply: { kind: 'array', value: items }, next };
    }
    default:
      throw new Error(
        `not a RESP reply: ${JSON.stringify(buf.toString('utf8', offset, lineEnd).slice(0, 80))}`,
      );
  }
}

/**
 * Sends one command (`['SET', 'k', 'v']`) on a fresh connection and resolves with the reply.
 * A Redis error reply (`-ERR ...`) resolves as `{ kind: 'error' }`; only I/O problems reject.
 */
export function respCommand(
  host: string,
  port: number,
  args: readonly string[],
  timeoutMs = 2000,
): Promise<RespReply> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let buffered = Buffer.alloc(0);
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      fn();
    };
    socket.setTimeout(timeoutMs, () =>
      settle(() =>
        reject(new Error(`no reply to ${args[0] ?? '?'} from ${host}:${port} in ${timeoutMs} ms`)),
      ),
    );
    socket.on('error', (err) => settle(() => reject(err)));
    socket.on('connect', () => socket.write(encodeCommand(args)));
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      try {
        const parsed = parseReply(buffered);
        if (parsed !== undefined) settle(() => resolve(parsed.reply));
      } catch (err) {
        settle(() => reject(err));
      }
    });
    socket.on('end', () =>
      settle(() => reject(new Error(`${host}:${port} closed the connection before replying`))),
    );
  });
}

/** True when `PING` answers `+PONG`: the server is loaded and serving commands. */
export async function redisPing(host: string, port: number, timeoutMs = 2000): Promise<boolean> {
  try {
    const reply = await respCommand(host, port, ['PING'], timeoutMs);
    return reply.kind === 'simple' && reply.value === 'PONG';
  } catch {
    return false;
  }
}
