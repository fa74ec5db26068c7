/**
 * Sequence tracking for one channel on one connection. The gateway's contract: a snapshot, then
 * updates with seq + 1 in the snapshot's epoch. The tracker checks it, remembers the latest message
 * (so a second local subscriber starts from a snapshot too) and reports any violation as a gap.
 */
import type { DataMessage } from '@tickmesh/contracts';
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
  accept(m: DataMessage): Verdict {
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
    if (m.seq === expected) {
      this.set(m);
      return DELIVER;
    }
    const gap = { channel: this.channel, epoch: m.epoch, expected, received: m.seq };
    if (m.seq < expected) return { deliver: false, gap };
    this.set(m);
    return { deliver: true, gap };
  }

  /** Forgets the baseline: after a reconnect the next message must be a fresh snapshot. */
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
