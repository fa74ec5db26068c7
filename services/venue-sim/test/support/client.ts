/**
 * Test clients: a WebSocket client that records every frame and lets a test wait on a condition
 * (re-checked on each frame, ping, pong and close; never on a sleep), and small HTTP helpers.
 */
import { WebSocket, type ClientOptions } from 'ws';

export type Json = Record<string, unknown>;

const DEFAULT_TIMEOUT_MS = 10_000;

export class TestClient {
  readonly messages: Json[] = [];
  pings = 0;
  pongs = 0;
  closeCode: number | undefined;
  private readonly checks = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.messages.push(JSON.parse(data.toString('utf8')) as Json);
      this.recheck();
    });
    ws.on('ping', () => {
      this.pings++;
      this.recheck();
    });
    ws.on('pong', () => {
      this.pongs++;
      this.recheck();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.recheck();
    });
  }

  static open(url: string, options?: ClientOptions): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options);
      const client = new TestClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode ?? '?'}`)));
    });
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** Resolves with `check()`'s first non-undefined value; re-evaluated on every socket event. */
  until<T>(check: () => T | undefined, what = 'condition', timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
    return new Promise((resolve, reject) => {
      const run = (): void => {
        let v: T | undefined;
        try {
          v = check();
        } catch (e) {
          done();
          reject(e instanceof Error ? e : new Error(String(e)));
          return;
        }
        if (v !== undefined) {
          done();
          resolve(v);
        } else if (this.closeCode !== undefined) {
          done();
          reject(new Error(`connection closed (${this.closeCode}) while waiting for ${what}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.checks.delete(run);
      };
      this.checks.add(run);
      run();
    });
  }

  /** The first message after index `from` matching `pred`. */
  next(pred: (m: Json) => boolean, from = 0, what = 'message'): Promise<Json> {
    return this.until(() => this.messages.slice(from).find(pred), what);
  }

  /** Resolves with the close code; rejects if the connection stays open. */
  closed(what = 'close'): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.closeCode !== undefined) return resolve(this.closeCode);
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), DEFAULT_TIMEOUT_MS);
      this.ws.once('close', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  close(): Promise<void> {
    if (this.closeCode !== undefined || this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    const done = this.closed().then(() => undefined);
    this.ws.close();
    return done;
  }

  private recheck(): void {
    for (const check of [...this.checks]) check();
  }
}

export interface HttpReply {
  status: number;
  body: unknown;
}

export async function getJson(url: string): Promise<HttpReply> {
  const res = await fetch(url);
  return { status: res.status, body: JSON.parse(await res.text()) as unknown };
}

export async function postJson(url: string, body: unknown): Promise<HttpReply> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: JSON.parse(await res.text()) as unknown };
}

/** Narrowing helper for JSON bodies in assertions. */
export function obj(v: unknown): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new Error(`not an object: ${JSON.stringify(v)}`);
  return v as Json;
}
