/**
 * A scripted in-memory WebSocket for the client's unit tests: opens on the next microtask, records
 * every frame the client sends (parsed), and serves frames the way the gateway answers
 * (services/gateway/src/session.ts).
 */
import type { WebSocketLike } from '../src/websocket';

export type Op = Record<string, unknown>;

export class FakeSocket implements WebSocketLike {
  static all: FakeSocket[] = [];
  readonly openedAt = performance.now();
  readyState = 0;
  /** every frame the client sent, parsed: the spy */
  readonly sent: Op[] = [];
  onopen: WebSocketLike['onopen'] = null;
  onmessage: WebSocketLike['onmessage'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;

  constructor(readonly url: string) {
    FakeSocket.all.push(this);
    queueMicrotask(() => {
      this.readyState = 1;
      this.onopen?.({});
    });
  }
  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.sent.push(JSON.parse(data) as Op);
  }
  close(code = 1000, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  serve(m: object): void {
    this.onmessage?.({ data: JSON.stringify(m) });
  }
  ops(kind?: string): Op[] {
    return this.sent.filter((o) => kind === undefined || o['op'] === kind);
  }
  /** Answers an op as the gateway does: errors for `refuse`d channels, then one ack for the rest. */
  answer(op: Op, refuse: Record<string, string> = {}, expanded?: Record<string, string[]>): void {
    const channels = op['channels'] as string[];
    for (const [channel, code] of Object.entries(refuse))
      this.serve({ type: 'error', id: op['id'], code, message: code, channel });
    const accepted = channels.filter((c) => !(c in refuse) && !c.includes('*'));
    for (const chans of Object.values(expanded ?? {})) accepted.push(...chans);
    this.serve({
      type: 'ack',
      id: op['id'],
      op: op['op'],
      channels: accepted,
      ...(expanded && { expanded }),
    });
  }
  /** answers the auth op with an ack */
  ackAuth(): void {
    const op = this.sent.find((o) => o['op'] === 'auth')!;
    this.serve({ type: 'ack', id: op['id'], op: 'auth', channels: [] });
  }
}
