/** A minimal Server-Sent Events reader over fetch, for tests (spec: HTML Living Standard §9.2). */
export interface SseEvent {
  event: string;
  id: string | undefined;
  data: string;
}

export interface SseReader {
  events: SseEvent[];
  close(): void;
  done: Promise<void>;
}

export async function readSse(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const ctrl = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: ctrl.signal });
  if (!res.ok || res.body === null) throw new Error(`SSE ${url}: HTTP ${res.status} ${await res.text()}`);
  const events: SseEvent[] = [];
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const done = (async () => {
    let buf = '';
    let cur: SseEvent = { event: 'message', id: undefined, data: '' };
    let dataLines: string[] = [];
    try {
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) return;
        buf += decoder.decode(value, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i).replace(/\r$/, '');
          buf = buf.slice(i + 1);
          if (line === '') {
            if (dataLines.length > 0) events.push({ ...cur, data: dataLines.join('\n') });
            cur = { event: 'message', id: undefined, data: '' };
            dataLines = [];
          } else if (!line.startsWith(':')) {
            const c = line.indexOf(':');
            const field = c === -1 ? line : line.slice(0, c);
            const value = c === -1 ? '' : line.slice(c + 1).replace(/^ /, '');
            if (field === 'data') dataLines.push(value);
            else if (field === 'event') cur.event = value;
            else if (field === 'id') cur.id = value;
          }
        }
      }
    } catch {
      /* aborted */
    }
  })();
  return { events, close: () => ctrl.abort(), done };
}
