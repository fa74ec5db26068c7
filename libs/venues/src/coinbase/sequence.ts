/**
 * Connection-wide continuity for Coinbase Advanced Trade.
 *
 * `sequence_num` is ONE counter per WebSocket connection, shared by every channel and product
 * (subscriptions, l2_data, market_trades, heartbeats...), starting again at 0 on each connection.
 * That is OBSERVED by two third-party clients, not stated in the stored docs (PROTOCOLS.md §4.1).
 * The docs' rule is: "Sequence numbers that are greater than one integer value from the previous
 * number indicate that a message has been dropped"; smaller numbers are out-of-order messages that
 * "can be ignored". A lost message can be any product's book update, so a jump concerns EVERY book
 * of that connection.
 *
 * `parseFrame` stays pure per frame: it only reports each frame's number as a `connection-seq`
 * event. `ConnectionSequence` is the small per-connection state that judges them; the engine keeps
 * one per socket (fresh on every open) and replaces a frame's events by what it returns.
 *
 * The event kinds and the tracker interface below are the proposed additions to the core contract
 * (core/adapter.ts; see /tmp/coinbase-lead.diff). They are declared here, structurally identical,
 * so this folder compiles before and after the core change.
 */
import type { FrameEvent } from '../core/adapter';

/** The frame's number in a sequence that spans its whole connection. */
export interface ConnectionSeqEvent {
  kind: 'connection-seq';
  seq: number;
}

/** The connection lost a message: every symbol it carries must resync. */
export interface ConnectionGapEvent {
  kind: 'connection-gap';
  reason: string;
}

/** FrameEvent plus the two connection-level kinds (identical to FrameEvent once core has them). */
export type ConnectionFrameEvent<U> = FrameEvent<U> | ConnectionSeqEvent | ConnectionGapEvent;

/** Per-connection state that checks connection-wide continuity (core: `ConnectionTracker<U>`). */
export interface ConnectionTracker<U> {
  /** receives each frame's events in order; returns the events the engine must process */
  onFrame(events: ConnectionFrameEvent<U>[]): ConnectionFrameEvent<U>[];
}

export type SequenceVerdict =
  /** first numbered frame of the connection: it sets the baseline */
  | { kind: 'first' }
  /** exactly the previous number + 1 */
  | { kind: 'next' }
  /** not above the previous number: a duplicate or an out-of-order message (ignored) */
  | { kind: 'old'; last: number }
  /** above previous + 1: `missing` messages were lost */
  | { kind: 'gap'; last: number; missing: number };

/** The documented rule, as a pure function of the last number seen and the new one. */
export function checkSequence(last: number | undefined, seq: number): SequenceVerdict {
  if (last === undefined) return { kind: 'first' };
  if (seq === last + 1) return { kind: 'next' };
  if (seq <= last) return { kind: 'old', last };
  return { kind: 'gap', last, missing: seq - last - 1 };
}

/**
 * One connection's `sequence_num` tracker. Frames without a `connection-seq` event (errors, which
 * carry no `sequence_num`) pass through untouched.
 *
 * - first numbered frame → baseline (whatever its value; see README.md "Deviations");
 * - `last + 1` → the frame's other events pass;
 * - `<= last` → the whole frame is dropped (`ignored`): its content was already seen or is stale;
 * - a jump → a `connection-gap` event replaces the frame's book events (never apply the event that
 *   revealed the gap); its trades, acks and heartbeats still pass — they do not depend on book
 *   continuity. The jump becomes the new baseline (the connection continues after a resubscribe).
 */
export class ConnectionSequence<U> implements ConnectionTracker<U> {
  private lastSeq: number | undefined;
  gaps = 0;

  /** the last number accepted, undefined before the first numbered frame */
  get last(): number | undefined {
    return this.lastSeq;
  }

  onFrame(events: ConnectionFrameEvent<U>[]): ConnectionFrameEvent<U>[] {
    const marker = events.find((e): e is ConnectionSeqEvent => e.kind === 'connection-seq');
    if (marker === undefined) return events;
    const rest = events.filter((e) => e !== marker);
    const v = checkSequence(this.lastSeq, marker.seq);
    switch (v.kind) {
      case 'first':
      case 'next':
        this.lastSeq = marker.seq;
        return rest;
      case 'old':
        return [
          {
            kind: 'ignored',
            reason: `coinbase:sequence_num ${marker.seq} <= last ${v.last} (duplicate or out of order)`,
          },
        ];
      case 'gap': {
        this.lastSeq = marker.seq;
        this.gaps++;
        const reason = `coinbase:sequence_num jump: ${marker.seq} after ${v.last} (${v.missing} message${v.missing === 1 ? '' : 's'} lost on this connection)`;
        return [{ kind: 'connection-gap', reason }, ...rest.filter((e) => e.kind !== 'book')];
      }
    }
  }
}
