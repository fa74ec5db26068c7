/**
 * Per-connection outbound queue with coalesced writes and a hard memory cap.
 *
 * Frames are queued as they are produced and written once per event-loop turn: one `setImmediate`
 * per gateway (the `FlushScheduler`) flushes every connection that has frames, and each connection
 * writes its batch inside one cork/uncork of its socket, so N frames become one socket write.
 *
 * Cap: when the socket's unsent bytes (as of the last flush) plus the queued bytes exceed
 * `maxBytes`, the connection is handed to `onOverflow` (the transport closes it as a slow
 * consumer) and everything after is discarded. The gateway never drops a frame silently while
 * the connection stays open: no seq gap is ever visible to a client.
 */
import { Coalescer } from '@tickmesh/bus';
import { nowMicros } from '@tickmesh/contracts';
import type { Frame } from './frame';
import { gatewayMetrics, type Transport } from './metrics';

/** What the outbound queue needs from a transport (WebSocket or SSE response). */
export interface FrameSink {
  readonly transport: Transport;
  /** bytes accepted for writing but not yet handed to the kernel */
  bufferedAmount(): number;
  /** writes the frames in order, as one corked batch */
  writeBatch(frames: readonly Frame[]): void;
}

export class FlushScheduler {
  private readonly dirty = new Set<Outbound>();
  private readonly coalescer: Coalescer;

  /** `minIntervalMs`: under load, flush at most once per interval (0 = every event-loop turn) */
  constructor(minIntervalMs = 0) {
    this.coalescer = new Coalescer(this.run, minIntervalMs);
  }

  schedule(o: Outbound): void {
    this.dirty.add(o);
    this.coalescer.request();
  }

  private run = (): void => {
    const batch = [...this.dirty];
    this.dirty.clear();
    for (const o of batch) o.flush();
  };
}

export class Outbound {
  private queue: Frame[] = [];
  private queuedBytes = 0;
  /** the sink's bufferedAmount after the last flush (it only shrinks until the next one) */
  private backlog = 0;
  private stopped = false;

  constructor(
    private readonly sink: FrameSink,
    private readonly scheduler: FlushScheduler,
    private readonly maxBytes: number,
    private readonly onOverflow: () => void,
  ) {}

  /** Queues a frame for the next flush. No-op after `stop()` or an overflow. */
  push(frame: Frame): void {
    if (this.stopped) return;
    this.queue.push(frame);
    this.queuedBytes += frame.size;
    if (this.backlog + this.queuedBytes > this.maxBytes) {
      this.overflow();
      return;
    }
    if (this.queue.length === 1) this.scheduler.schedule(this);
  }

  /** Writes every queued frame now (also used to send a last message before a close). */
  flush(): void {
    if (this.stopped || this.queue.length === 0) return;
    const frames = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    this.sink.writeBatch(frames);
    this.account(frames);
    this.backlog = this.sink.bufferedAmount();
    if (this.backlog > this.maxBytes) this.overflow();
  }

  /** Discards what is queued and refuses further frames (the connection is closing). */
  stop(): void {
    this.stopped = true;
    this.queue = [];
    this.queuedBytes = 0;
  }

  get pendingBytes(): number {
    return this.queuedBytes;
  }

  private overflow(): void {
    this.stop();
    this.onOverflow();
  }

  private account(frames: readonly Frame[]): void {
    const t = this.sink.transport;
    const latency = gatewayMetrics.latency[t];
    const now = nowMicros();
    let bytes = 0;
    for (const f of frames) {
      bytes += f.size;
      if (f.venueTs > 0) latency.observe(Math.max(0, now - f.venueTs) / 1e6);
    }
    gatewayMetrics.sent[t].inc(frames.length);
    gatewayMetrics.sentBytes[t].inc(bytes);
  }
}
