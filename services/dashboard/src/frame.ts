/**
 * Rendering at most once per animation frame. Feed handlers run outside Vue's reactivity: they put
 * the latest value (or append to a bounded buffer) and mark it dirty; one requestAnimationFrame
 * callback then publishes every dirty value to its shallowRef, so Vue re-renders each view at
 * most once per frame however fast messages arrive. While the tab is hidden, frames stop and only
 * the latest values are kept.
 */
import { shallowRef, triggerRef, type ShallowRef } from 'vue';

const dirty = new Set<() => void>();
let scheduled = false;

const nextFrame: (cb: () => void) => void =
  typeof requestAnimationFrame === 'function'
    ? (cb) => requestAnimationFrame(cb)
    : (cb) => setTimeout(cb, 16);

function flush(): void {
  scheduled = false;
  const jobs = [...dirty];
  dirty.clear();
  for (const job of jobs) job();
}

/** Runs `job` in the next frame (once, however often it is scheduled before then). */
export function onNextFrame(job: () => void): void {
  dirty.add(job);
  if (!scheduled) {
    scheduled = true;
    nextFrame(flush);
  }
}

export interface FrameValue<T> {
  /** what the template reads; changes at most once per frame */
  readonly ref: ShallowRef<T>;
  /** the latest value, published at the next frame */
  set(value: T): void;
  /** the value last set (published or not) */
  peek(): T;
}

/** A value written at any rate and published to Vue once per frame. */
export function frameValue<T>(initial: T): FrameValue<T> {
  const ref = shallowRef(initial) as ShallowRef<T>;
  let latest = initial;
  const publish = (): void => {
    ref.value = latest;
    triggerRef(ref); // also when the same (mutated) object is set again
  };
  return {
    ref,
    set(value) {
      latest = value;
      onNextFrame(publish);
    },
    peek: () => latest,
  };
}

export interface FrameList<T> {
  readonly ref: ShallowRef<readonly T[]>;
  /** adds items newest first, keeping at most `cap` */
  prepend(items: readonly T[]): void;
  clear(): void;
}

/** A bounded newest-first list (e.g. a trades tape), published once per frame. */
export function frameList<T>(cap: number): FrameList<T> {
  const ref = shallowRef<readonly T[]>([]);
  let items: T[] = [];
  const publish = (): void => {
    ref.value = items.slice();
  };
  return {
    ref,
    prepend(added) {
      if (added.length === 0) return;
      const fresh = added.length >= cap ? added.slice(added.length - cap) : added;
      items = [...[...fresh].reverse(), ...items];
      if (items.length > cap) items.length = cap;
      onNextFrame(publish);
    },
    clear() {
      items = [];
      onNextFrame(publish);
    },
  };
}
