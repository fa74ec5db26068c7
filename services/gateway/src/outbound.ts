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
 *
 * Slow consumers (with `graceMs` > 0): going over the cap first switches the connection to
 * conflation instead of closing it. While conflating, nothing is written while the socket's unsent
 * bytes are over the cap, and a new update replaces the queued update of its channel (latest
 * wins, marked `"conflated":true`, so the client sees a seq jump it is told about). Snapshots and
 * control messages are never replaced. If the connection is still over the cap `graceMs` after
 * conflation began, it is closed (4008) as before; once under the cap it returns to normal.
 * Per channel kind (the frame's conflation policy): state channels replace; book diffs merge
 * (latest size per price, so the merged diff still turns the client's view into the server's);
 * trades are dropped, never replaced, and on recovery each such channel gets a `gap` notice
 * naming the dropped seqs, and its next update is marked conflated (it skips those seqs).
 */
import { Coalescer } from '@tickmesh/bus';
import { nowMicros } from '@tickmesh/contracts';
import { gapFrame, mergeBookFrames, type Frame } from './frame';
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

/** How often a conflating connection checks whether its socket drained. */
const DRAIN_CHECK_MS = 25;

export class Outbound {
  private queue: Frame[] = [];
  private queuedBytes = 0;
  /** the sink's bufferedAmount after the last flush (it only shrinks until the next one) */
  private backlog = 0;
  private stopped = false;
  /** set while conflating as a slow consumer: when that began (ms) */
  private conflatingSince: number | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  /** channel → queue index of its queued update, while conflating */
  private readonly queuedUpdate = new Map<string, number>();
  /** trades channel → seqs dropped while conflating */
  private readonly dropped = new Map<string, { from: number; to: number }>();
  /** channels whose next update follows a gap notice */
  private readonly afterGap = new Set<string>();

  /**
   * @param graceMs slow-consumer conflation time before the close; 0 = close at once when over
   */
  constructor(
    private readonly sink: FrameSink,
    private readonly scheduler: FlushScheduler,
    private readonly maxBytes: number,
    private readonly onOverflow: () => void,
    private readonly graceMs = 0,
  ) {}

  /** Queues a frame for the next flush. No-op after `stop()` or an overflow. */
  push(frame: Frame): void {
    if (this.stopped) return;
    if (this.conflatingSince !== undefined) {
      this.pushConflating(frame);
      return;
    }
    if (
      this.afterGap.size > 0 &&
      frame.kind === 'update' &&
      frame.ch !== undefined &&
      this.afterGap.delete(frame.ch)
    )
      frame = frame.asConflated();
    this.queue.push(frame);
    this.queuedBytes += frame.size;
    if (this.backlog + this.queuedBytes > this.maxBytes) {
      this.overCap();
      return;
    }
    if (this.queue.length === 1) this.scheduler.schedule(this);
  }

  /** Writes every queued frame now (also used to send a last message before a close). */
  flush(): void {
    if (this.stopped || this.queue.length === 0) return;
    if (this.conflatingSince !== undefined) return; // the drain check writes
    const frames = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    this.sink.writeBatch(frames);
    this.account(frames);
    this.backlog = this.sink.bufferedAmount();
    if (this.backlog > this.maxBytes) this.overCap();
  }

  /** Discards what is queued and refuses further frames (the connection is closing). */
  stop(): void {
    this.stopped = true;
    this.queue = [];
    this.queuedBytes = 0;
    this.queuedUpdate.clear();
    this.dropped.clear();
    this.afterGap.clear();
    clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
  }

  /** True while the connection is conflated as a slow consumer. */
  get conflating(): boolean {
    return this.conflatingSince !== undefined;
  }

  private overCap(): void {
    if (this.graceMs <= 0) {
      this.overflow();
      return;
    }
    this.conflatingSince = Date.now();
    gatewayMetrics.slowConsumer(this.sink.transport, 'conflating');
    // Conflate what is already queued too (under load one turn can queue more than the cap):
    // the queue keeps one update per channel after its last snapshot, so it is small again and a
    // drained socket lets the connection recover. Then later updates replace rather than append.
    const queued = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    this.queuedUpdate.clear();
    for (const f of queued) this.pushConflating(f, false);
    this.drainTimer = setTimeout(this.drainCheck, DRAIN_CHECK_MS);
  }

  /** @param checkCap false while re-queuing on entry (the cap check is the drain check's job then) */
  private pushConflating(frame: Frame, checkCap = true): void {
    if (frame.kind === 'update' && frame.ch !== undefined && frame.policy === 'drop') {
      const seq = frame.extra.seq ?? 0;
      const d = this.dropped.get(frame.ch);
      if (d === undefined) this.dropped.set(frame.ch, { from: seq, to: seq });
      else d.to = seq;
      gatewayMetrics.conflated(this.sink.transport, 'slow_consumer');
      return;
    }
    // Updates after a snapshot of their channel must not be merged into one queued before it.
    if (frame.kind === 'snapshot' && frame.ch !== undefined) this.queuedUpdate.delete(frame.ch);
    if (frame.kind === 'update' && frame.ch !== undefined) {
      const i = this.queuedUpdate.get(frame.ch);
      if (i !== undefined) {
        const prev = this.queue[i]!;
        const next = (frame.policy === 'merge' ? mergeBookFrames(prev, frame) : frame).asConflated();
        this.queuedBytes += next.size - this.queue[i]!.size;
        this.queue[i] = next;
        gatewayMetrics.conflated(this.sink.transport, 'slow_consumer');
        return;
      }
      this.queuedUpdate.set(frame.ch, this.queue.length);
    }
    this.queue.push(frame);
    this.queuedBytes += frame.size;
    // One update per channel plus control messages: far below the cap unless something is wrong.
    if (checkCap && this.queuedBytes > this.maxBytes) this.overflow();
  }

  private drainCheck = (): void => {
    this.drainTimer = undefined;
    if (this.stopped || this.conflatingSince === undefined) return;
    const buffered = this.sink.bufferedAmount();
    if (buffered + this.queuedBytes <= this.maxBytes) {
      // Drained: write the conflated queue and return to normal delivery.
      this.conflatingSince = undefined;
      this.queuedUpdate.clear();
      for (const [ch, d] of this.dropped) {
        const g = gapFrame(ch, d.from, d.to);
        this.queue.push(g);
        this.queuedBytes += g.size;
        this.afterGap.add(ch);
      }
      this.dropped.clear();
      gatewayMetrics.slowConsumer(this.sink.transport, 'recovered');
      this.flush();
      return;
    }
    if (Date.now() - this.conflatingSince >= this.graceMs) {
      this.overflow();
      return;
    }
    this.drainTimer = setTimeout(this.drainCheck, DRAIN_CHECK_MS);
  };

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
