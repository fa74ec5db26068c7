/**
 * Sequence tracking for one channel on one connection. The gateway's contract: a snapshot, then
 * updates with seq + 1 in the snapshot's epoch. The tracker checks it, remembers the latest message
 * (so a second local subscriber starts from a snapshot too) and reports any violation as a gap.
 * An update marked `conflated: true` may skip seqs (latest wins): it only has to increase.
 */
import type { ConflationMark, DataMessage } from '@tickmesh/contracts';
import type { GapEvent } from './types';

export interface Verdict {
  deliver: boolean;
  gap: GapEvent | undefined;
}

const DELIVER: Verdict = { deliver: true, gap: undefined };

export class ChannelTracker {
  private epoch: number | undefined;
  private seq: number | undefined;
  private lastMsg: DataMessage | undefined;

  constructor(readonly channel: string) {}

  /** The latest delivered message, if any on this connection. */
  get last(): DataMessage | undefined {
    return this.lastMsg;
  }

  /**
   * Snapshots always apply and set the baseline. Updates apply when they follow the baseline;
   * a jump or an epoch change is delivered with a gap; a repeat or step back is dropped with one.
   */
  accept(m: DataMessage & ConflationMark): Verdict {
    if (m.type === 'snapshot') {
      this.set(m);
      return DELIVER;
    }
    if (this.epoch === undefined || this.seq === undefined || m.epoch !== this.epoch) {
      const gap = { channel: this.channel, epoch: m.epoch, expected: undefined, received: m.seq };
      this.set(m);
      return { deliver: true, gap };
    }
    const expected = this.seq + 1;
    // Conflated updates (conflate_ms, or a slow connection) skip seqs on purpose: only increase.
    if (m.seq === expected || (m.conflated === true && m.seq > expected)) {
      this.set(m);
      return DELIVER;
    }
    const gap = { channel: this.channel, epoch: m.epoch, expected, received: m.seq };
    if (m.seq < expected) return { deliver: false, gap };
    this.set(m);
    return { deliver: true, gap };
  }

  /** The last accepted (epoch, seq): the resume position to send after a reconnect. */
  get position(): { epoch: number; seq: number } | undefined {
    return this.epoch === undefined || this.seq === undefined
      ? undefined
      : { epoch: this.epoch, seq: this.seq };
  }

  /** Forgets the baseline: the next message must be a fresh snapshot. */
  reset(): void {
    this.epoch = undefined;
    this.seq = undefined;
    this.lastMsg = undefined;
  }

  private set(m: DataMessage): void {
    this.epoch = m.epoch;
    this.seq = m.seq;
    this.lastMsg = m;
  }
}
