/**
 * Partitioned replicas: N book-builders (PARTITIONS=N) each own a deterministic slice of the books,
 * replica i (PARTITION_INDEX=i, or the StatefulSet ordinal at the end of HOSTNAME, `book-builder-2`)
 * owning the books whose key hashes to i.
 *
 * The key is the **consolidated symbol** (equivalence.ts), not (venue, symbol): every venue's book of
 * one instrument — and, with CONSOLIDATE_EQUIVALENT=USDT=USD, its BTC-USDT, BTC-USDC and BTC-USD
 * books — lands on the same replica, so that replica alone builds the complete consolidated book.
 * Every replica must therefore run with the same PARTITIONS and CONSOLIDATE_EQUIVALENT.
 *
 * Hash: 32-bit FNV-1a of the key's UTF-8 bytes (keys are ASCII), mod N. Stable across processes,
 * versions and platforms (no seed, no Map ordering), cheap, and evenly spread on short ASCII keys.
 *
 * Ordering: a partitioned replica subscribes to each owned book's own subject
 * (`md.v1.book.<venue>.<symbol>`, one NATS subscription), so the server routes a book's messages
 * to exactly one replica, in publication order; nothing is re-dispatched between replicas.
 */

/** 32-bit FNV-1a over the char codes of an ASCII string. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i) & 0xff;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The partition (0..count-1) that owns `key`. */
export function partitionOf(key: string, count: number): number {
  return count <= 1 ? 0 : fnv1a32(key) % count;
}

export interface Partition {
  index: number;
  count: number;
}

export class PartitionConfigError extends Error {
  override readonly name = 'PartitionConfigError';
}

/**
 * This replica's partition from PARTITIONS, PARTITION_INDEX and, when the index is not set, the
 * StatefulSet pod ordinal: the trailing `-<n>` of `hostname` (Kubernetes sets HOSTNAME to the pod
 * name, `book-builder-2`). Throws a message naming the variable when it cannot be resolved.
 */
export function resolvePartition(
  partitions: number,
  partitionIndex: number | undefined,
  hostname: string | undefined,
): Partition {
  if (!Number.isInteger(partitions) || partitions < 1)
    throw new PartitionConfigError(`PARTITIONS: expected an integer >= 1, got ${partitions}`);
  let index = partitionIndex;
  if (index === undefined) {
    if (partitions === 1) return { index: 0, count: 1 };
    const m = /-(\d+)$/.exec(hostname ?? '');
    if (m === null)
      throw new PartitionConfigError(
        `PARTITION_INDEX: not set, and HOSTNAME "${hostname ?? ''}" has no StatefulSet ordinal (-<n>) to derive it from`,
      );
    index = Number(m[1]);
  }
  if (!Number.isInteger(index) || index < 0 || index >= partitions)
    throw new PartitionConfigError(
      `PARTITION_INDEX: ${index} is outside 0..${partitions - 1} (PARTITIONS=${partitions})`,
    );
  return { index, count: partitions };
}

/** Ownership decisions of one replica, cached per (venue, symbol) (status messages ask repeatedly). */
export class Ownership {
  private readonly cache = new Map<string, boolean>();

  constructor(
    readonly partition: Partition,
    /** the partition key of a symbol: its consolidated symbol */
    private readonly keyOf: (symbol: string) => string,
  ) {}

  get partitioned(): boolean {
    return this.partition.count > 1;
  }

  owns(venue: string, symbol: string): boolean {
    if (this.partition.count <= 1) return true;
    const k = `${venue}\u0000${symbol}`;
    let v = this.cache.get(k);
    if (v === undefined) {
      v = partitionOf(this.keyOf(symbol), this.partition.count) === this.partition.index;
      this.cache.set(k, v);
    }
    return v;
  }
}
