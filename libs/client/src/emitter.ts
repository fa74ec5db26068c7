/**
 * A minimal typed event emitter (no Node `events` import, so it runs in browsers). A listener that
 * throws does not break the client's state machine: the error is rethrown in a microtask, where
 * the runtime reports it as uncaught.
 */
export class Emitter<E extends object> {
  private readonly listeners = new Map<keyof E, Set<(v: never) => void>>();

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof E>(event: K, fn: (value: E[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) this.listeners.set(event, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  emit<K extends keyof E>(event: K, value: E[K]): void {
    const set = this.listeners.get(event);
    if (set === undefined) return;
    for (const fn of [...set]) {
      try {
        (fn as (v: E[K]) => void)(value);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
