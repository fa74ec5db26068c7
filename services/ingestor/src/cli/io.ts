/** The few stream operations the CLI needs (process.stdout/stderr, or a collector in tests). */
export interface OutStream {
  write(chunk: string): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
}

/** Thrown for a bad command line: the CLI prints the message and the usage, and exits with 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Buffers output lines and hands them to the stream in chunks, waiting when it pushes back. */
export class LineWriter {
  private parts: string[] = [];
  private size = 0;

  constructor(
    private readonly out: OutStream,
    private readonly chunkChars = 1 << 16,
  ) {}

  push(line: string): void {
    this.parts.push(line, '\n');
    this.size += line.length + 1;
  }

  /** Writes the buffer when it is large (or `force`), resolving once the stream can take more. */
  async flush(force = false): Promise<void> {
    if (this.size === 0 || (!force && this.size < this.chunkChars)) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (!this.out.write(chunk)) await new Promise<void>((r) => this.out.once('drain', r));
  }
}

export function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

export function positiveNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`${name} must be a positive number, got ${JSON.stringify(value)}`);
  return n;
}
