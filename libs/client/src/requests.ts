/**
 * Operations in flight, by request id. Each op registers callbacks for the answers that carry its
 * id (`ack`, `error`, `pong`); the gateway sends per-channel `error`s before the op's single `ack`,
 * so an entry lives until its ack or pong, its deadline, or the connection's end.
 */
import type { AckMessage, ErrorMessage, ListMessage, PongMessage } from '@tickmesh/contracts';

export interface PendingOp {
  onAck?(m: AckMessage): void;
  onPong?(m: PongMessage): void;
  onList?(m: ListMessage): void;
  /** per-channel errors (entry kept) or an op-level error (entry removed after the call) */
  onError(m: ErrorMessage): void;
  /** deadline passed, or the connection ended, or the client closed */
  onFail(reason: 'timeout' | 'disconnected' | 'closed'): void;
}

interface Entry {
  op: PendingOp;
  timer: ReturnType<typeof setTimeout>;
}

export class Requests {
  private nextId = 1;
  private readonly pending = new Map<number, Entry>();

  constructor(private readonly timeoutMs: number) {}

  /** Registers an op and returns the id to send with it. */
  register(op: PendingOp): number {
    const id = this.nextId++;
    const timer = setTimeout(() => {
      if (this.pending.delete(id)) op.onFail('timeout');
    }, this.timeoutMs);
    this.pending.set(id, { op, timer });
    return id;
  }

  /** Routes an answer; returns false when no op is waiting for its id. */
  dispatch(m: AckMessage | ErrorMessage | PongMessage | ListMessage): boolean {
    if (typeof m.id !== 'number') return false;
    const e = this.pending.get(m.id);
    if (e === undefined) return false;
    if (m.type === 'error') {
      e.op.onError(m);
      if (m.channel === undefined) this.finish(m.id, e);
    } else if (m.type === 'ack') {
      this.finish(m.id, e);
      e.op.onAck?.(m);
    } else if (m.type === 'list') {
      this.finish(m.id, e);
      e.op.onList?.(m);
    } else {
      this.finish(m.id, e);
      e.op.onPong?.(m);
    }
    return true;
  }

  /** Fails every op (connection lost or client closed). */
  failAll(reason: 'disconnected' | 'closed'): void {
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const e of entries) {
      clearTimeout(e.timer);
      e.op.onFail(reason);
    }
  }

  private finish(id: number, e: Entry): void {
    clearTimeout(e.timer);
    this.pending.delete(id);
  }
}
