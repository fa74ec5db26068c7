/**
 * A channel as an async iterator: `for await (const m of client.stream('tob.binance.BTC-USDT'))`.
 *
 * Messages are buffered without bound while the consumer is busy, so consume promptly (or use
 * `subscribe()` and keep only the latest value). Leaving the loop (`break`, `return()`)
 * unsubscribes; `client.close()` ends the iteration; a refused subscription rejects `next()`.
 */
import type { ClientEvents, MessageFor, Subscription } from './types';

export interface StreamSource {
  subscribe<C extends string>(channel: C, onMessage: (m: MessageFor<C>) => void): Promise<Subscription>;
  on<K extends keyof ClientEvents>(event: K, fn: (value: ClientEvents[K]) => void): () => void;
}

export function channelStream<C extends string>(
  source: StreamSource,
  channel: C,
): AsyncIterableIterator<MessageFor<C>> {
  const queue: MessageFor<C>[] = [];
  let wake: ((r: IteratorResult<MessageFor<C>>) => void) | undefined;
  let done = false;

  const finish = (): IteratorResult<MessageFor<C>> => {
    done = true;
    offState();
    const w = wake;
    wake = undefined;
    w?.({ done: true, value: undefined });
    return { done: true, value: undefined };
  };
  const offState = source.on('state', (s) => {
    if (s === 'closed') finish();
  });
  const subscribed = source.subscribe(channel, (m) => {
    if (done) return;
    if (wake !== undefined) {
      const w = wake;
      wake = undefined;
      w({ done: false, value: m });
    } else queue.push(m);
  });
  subscribed.catch(() => offState());

  const it: AsyncIterableIterator<MessageFor<C>> = {
    [Symbol.asyncIterator]: () => it,
    async next() {
      const m = queue.shift();
      if (m !== undefined) return { done: false, value: m };
      if (done) return { done: true, value: undefined };
      try {
        await subscribed; // surfaces a refused subscription
      } catch (err) {
        if (done) return { done: true, value: undefined }; // close() before the ack: just end
        throw err;
      }
      if (done) return { done: true, value: undefined };
      return new Promise<IteratorResult<MessageFor<C>>>((resolve) => (wake = resolve));
    },
    async return() {
      const r = finish();
      queue.length = 0;
      const sub = await subscribed.catch(() => undefined);
      await sub?.unsubscribe().catch(() => undefined);
      return r;
    },
  };
  return it;
}
