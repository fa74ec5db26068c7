/**
 * A Server-Sent Events test client: parses the stream into events (event, id, data) and keeps
 * comments (heartbeats), the status and headers.
 */
import { get, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { waitFor } from '@tickmesh/test-harness';

export interface SseEvent {
  event: string;
  id: string | undefined;
  data: string;
}

export class SseTestClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  status = 0;
  headers: IncomingHttpHeaders = {};
  body = '';
  ended = false;
  private buffer = '';
  private res: IncomingMessage | undefined;

  /** Opens `/sse?channels=...` and resolves once the response head arrived. */
  static open(
    port: number,
    channels: string,
    headers: Record<string, string> = {},
    query = '',
  ): Promise<SseTestClient> {
    const c = new SseTestClient();
    const url = `http://127.0.0.1:${port}/sse?channels=${encodeURIComponent(channels)}${query}`;
    return new Promise((resolve, reject) => {
      const req = get(url, { headers }, (res) => {
        c.res = res;
        c.status = res.statusCode ?? 0;
        c.headers = res.headers;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => c.onChunk(chunk));
        res.on('end', () => (c.ended = true));
        res.on('close', () => (c.ended = true));
        res.on('error', () => (c.ended = true));
        resolve(c);
      });
      req.on('error', reject);
    });
  }

  private onChunk(chunk: string): void {
    if (this.status !== 200) {
      this.body += chunk;
      return;
    }
    this.buffer += chunk;
    let i: number;
    while ((i = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, i);
      this.buffer = this.buffer.slice(i + 2);
      const ev: SseEvent = { event: 'message', id: undefined, data: '' };
      let isEvent = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line);
        else {
          const sep = line.indexOf(': ');
          const [field, value] = [line.slice(0, sep), line.slice(sep + 2)];
          isEvent = true;
          if (field === 'event') ev.event = value;
          else if (field === 'id') ev.id = value;
          else if (field === 'data') ev.data += value;
        }
      }
      if (isEvent) this.events.push(ev);
    }
  }

  async waitEvents(pred: (e: SseEvent) => boolean, n: number, what: string): Promise<SseEvent[]> {
    await waitFor(() => this.events.filter(pred).length >= n, {
      timeoutMs: 5000,
      intervalMs: 5,
      message: () => `${n} × ${what}; got ${JSON.stringify(this.events.slice(-3))}`,
    });
    return this.events.filter(pred);
  }

  async waitEnded(): Promise<void> {
    await waitFor(() => this.ended, { timeoutMs: 5000, intervalMs: 5, message: 'SSE response ended' });
  }

  /** Stops reading: TCP backpressure reaches the gateway (slow-consumer tests). */
  pause(): void {
    this.res?.pause();
  }

  resume(): void {
    this.res?.resume();
  }

  close(): void {
    this.res?.destroy();
  }
}
