/**
 * A WebSocket test client that records every frame (raw text and parsed) and lets tests wait for
 * conditions on what arrived. Close code and reason are kept for close-code assertions.
 */
import { WebSocket, type ClientOptions } from 'ws';
import type {
  DataMessage,
  ErrorMessage,
  NotRecoveredMessage,
  ResumedMessage,
  ServerMessage as V1ServerMessage,
} from '@tickmesh/contracts';
import { waitFor } from '@tickmesh/test-harness';

type ServerMessage = V1ServerMessage | ResumedMessage | NotRecoveredMessage;

export class WsTestClient {
  readonly raw: string[] = [];
  readonly messages: ServerMessage[] = [];
  closeCode: number | undefined;
  closeReason = '';

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) throw new Error('gateway sent a binary frame');
      const text = String(data);
      this.raw.push(text);
      this.messages.push(JSON.parse(text) as ServerMessage);
    });
    ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
    });
    ws.on('error', () => undefined);
  }

  /** Connects and waits for the welcome message. `path` may carry a query (`/ws?token=…`). */
  static async open(port: number, opts: ClientOptions = {}, path = '/ws'): Promise<WsTestClient> {
    const c = new WsTestClient(new WebSocket(`ws://127.0.0.1:${port}${path}`, opts));
    await c.waitFor((m) => m.type === 'welcome', 'welcome');
    return c;
  }

  /** An upgrade the gateway refuses: its HTTP status, headers and body (or 101 when accepted). */
  static refusal(
    port: number,
    opts: ClientOptions = {},
    path = '/ws',
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, opts);
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      });
      ws.on('open', () => {
        ws.close();
        resolve({ status: 101, headers: {}, body: '' });
      });
      ws.on('error', () => undefined);
    });
  }

  send(op: object | string | Buffer): void {
    this.ws.send(typeof op === 'object' && !Buffer.isBuffer(op) ? JSON.stringify(op) : op);
  }

  /** Waits until a message matching `pred` has arrived (at any time so far) and returns it. */
  async waitFor(pred: (m: ServerMessage) => boolean, what: string, timeoutMs = 5000): Promise<ServerMessage> {
    let found: ServerMessage | undefined;
    await waitFor(
      () => {
        found = this.messages.find(pred);
        return found !== undefined;
      },
      { timeoutMs, intervalMs: 5, message: () => `${what}; got ${JSON.stringify(this.messages.slice(-5))}` },
    );
    return found!;
  }

  async waitCount(
    pred: (m: ServerMessage) => boolean,
    n: number,
    what: string,
    timeoutMs = 5000,
  ): Promise<void> {
    await waitFor(() => this.messages.filter(pred).length >= n, {
      timeoutMs,
      intervalMs: 5,
      message: () => `${n} × ${what}; got ${this.messages.filter(pred).length}`,
    });
  }

  data(ch: string): DataMessage[] {
    return this.messages.filter(
      (m): m is DataMessage => (m.type === 'snapshot' || m.type === 'update') && m.ch === ch,
    );
  }

  errors(): ErrorMessage[] {
    return this.messages.filter((m): m is ErrorMessage => m.type === 'error');
  }

  async closed(timeoutMs = 5000): Promise<void> {
    await waitFor(() => this.closeCode !== undefined, { timeoutMs, intervalMs: 5, message: 'socket closed' });
  }

  close(): void {
    this.ws.close();
  }
}
