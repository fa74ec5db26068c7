/**
 * The dashboard's only door to the gateway: a thin adapter over the typed SDK (@tickmesh/client).
 * Views call these functions and never the SDK, so an SDK signature change touches this file only.
 *
 * - Every subscription returns a `Handle` whose `close()` is synchronous and safe at any time
 *   (before the gateway's ack, after an error, twice).
 * - A refused channel (a gateway that does not serve `trades`/`consolidated`/`stats`, an unknown
 *   instrument) reaches `onError`; views show it instead of data.
 * - Graceful with older gateways: when `book.*` channels are refused as invalid, the ladder is the
 *   top of book (depth 1, `derived: true`); when the instrument list is refused or empty, the
 *   universe is the simulator stack's default (`FALLBACK_*`, `source: 'fallback'`).
 * - Conflation: books, top of book and consolidated books are state channels, asked latest-wins
 *   every CONFLATE_MS; trades are never conflated (every trade matters); status and stats are
 *   slow already.
 */
import {
  TickmeshClient,
  TickmeshError,
  type BookViewData,
  type ClientState,
  type ConsolidatedData,
  type DataMessage,
  type InstrumentInfo,
  type NotRecoveredMessage,
  type ResumedMessage,
  type StatsData,
  type StatusData,
  type Subscription,
  type TobData,
  type TradeData,
  type TradesData,
} from '@tickmesh/client';

export type ConnState = ClientState;
export type BookView = BookViewData & {
  /** built from the top of book: the gateway serves no depth channels */
  derived?: boolean;
};
export type { ConsolidatedData, InstrumentInfo, StatsData, StatusData, TobData, TradeData };
export interface Trade extends TradeData {
  venue: string;
  symbol: string;
}

/** latest-wins interval asked for state channels, ms */
export const CONFLATE_MS = 100;
export const BOOK_DEPTH = 15;
export const FALLBACK_VENUES = ['binance', 'bybit', 'okx', 'coinbase', 'kraken'];
export const FALLBACK_SYMBOLS = ['BTC-USDT', 'ETH-USDT', 'SOL-USDT'];

export interface Handle {
  close(): void;
}

export interface Recovery {
  channel: string;
  resumed: boolean;
  /** `from..to` replayed, or the not-recovered reason */
  detail: string;
}

export type OnError = (err: Error) => void;

/** Gateway WebSocket URL of the page's own origin (the gateway serves the page). */
export function defaultGatewayUrl(loc: Pick<Location, 'protocol' | 'host' | 'pathname'> = location): string {
  const base = loc.pathname.replace(/[^/]*$/, ''); // the page's directory: works behind a path prefix
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}${base}ws`;
}

export class Feed {
  readonly client: TickmeshClient;
  /** errors the SDK reports on its `error` event (book subscriptions), by channel */
  private readonly channelErrors = new Map<string, Set<OnError>>();

  constructor(url: string = defaultGatewayUrl()) {
    this.client = new TickmeshClient({ url, reconnect: { baseMs: 250, capMs: 5000 } });
    this.client.on('error', (err) => {
      if (err.channel !== undefined) this.channelErrors.get(err.channel)?.forEach((fn) => fn(err));
    });
  }

  /** Opens the connection; it is kept open (reconnects and resumes by itself). */
  connect(): void {
    void this.client.connect().catch(() => undefined);
  }

  get state(): ConnState {
    return this.client.state;
  }

  /** the gateway's name from its welcome message */
  get server(): string | undefined {
    return this.client.server;
  }

  onState(fn: (s: ConnState) => void): () => void {
    return this.client.on('state', fn);
  }

  onRecovery(fn: (r: Recovery) => void): () => void {
    const offA = this.client.on('resumed', (m: ResumedMessage) =>
      fn({ channel: m.ch, resumed: true, detail: m.from > m.to ? 'nothing missed' : `${m.from}..${m.to}` }),
    );
    const offB = this.client.on('notRecovered', (m: NotRecoveredMessage) =>
      fn({ channel: m.ch, resumed: false, detail: m.reason }),
    );
    return () => (offA(), offB());
  }

  /** The instrument universe for the pickers (waits for the connection). */
  async instruments(): Promise<{ list: InstrumentInfo[]; source: 'gateway' | 'fallback' }> {
    try {
      const list = await this.client.instruments();
      if (list.length > 0) return { list, source: 'gateway' };
    } catch {
      /* an older gateway: fall back */
    }
    const list = FALLBACK_VENUES.flatMap((venue) =>
      FALLBACK_SYMBOLS.map((symbol): InstrumentInfo => ({ venue, symbol, state: 'connecting' })),
    );
    return { list, source: 'fallback' };
  }

  /** The venue's book view (top `depth` levels per side, best first), at most every CONFLATE_MS. */
  book(
    venue: string,
    symbol: string,
    depth: number,
    onView: (v: BookView) => void,
    onError: OnError,
  ): Handle {
    const channel = `book.${venue}.${symbol}`;
    let fallback: Handle | undefined;
    let closed = false;
    const failed = (err: Error): void => {
      if (closed || fallback !== undefined) return;
      // a gateway without depth channels: show its top of book instead
      if (err instanceof TickmeshError && err.code === 'invalid_channel')
        fallback = this.tobBook(venue, symbol, onView, onError);
      else onError(err);
    };
    const offError = this.onChannelError(channel, failed);
    let sub: Handle;
    try {
      sub = settle(this.client.book(venue, symbol, { depth, conflateMs: CONFLATE_MS }, onView), failed);
    } catch (err) {
      failed(err as Error);
      sub = { close: () => undefined };
    }
    return {
      close() {
        closed = true;
        offError();
        sub.close();
        fallback?.close();
      },
    };
  }

  /** A depth-1 ladder from the top of book. */
  private tobBook(venue: string, symbol: string, onView: (v: BookView) => void, onError: OnError): Handle {
    return this.tob(
      venue,
      symbol,
      (t) =>
        onView({
          venue,
          symbol,
          depth: 1,
          bookEpoch: t.epoch,
          bookSeq: t.seq,
          state: t.state,
          bids: t.bidPx === '' ? [] : [[t.bidPx, t.bidSz]],
          asks: t.askPx === '' ? [] : [[t.askPx, t.askSz]],
          derived: true,
        }),
      onError,
    );
  }

  private onChannelError(channel: string, fn: OnError): () => void {
    let set = this.channelErrors.get(channel);
    if (set === undefined) this.channelErrors.set(channel, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0) this.channelErrors.delete(channel);
    };
  }

  tob(venue: string, symbol: string, onData: (t: TobData) => void, onError: OnError): Handle {
    return this.channel<TobData>(`tob.${venue}.${symbol}`, (m) => onData(m.data), onError, CONFLATE_MS);
  }

  status(venue: string, symbol: string, onData: (s: StatusData) => void, onError: OnError): Handle {
    return this.channel<StatusData>(`status.${venue}.${symbol}`, (m) => onData(m.data), onError);
  }

  /** Trades oldest first; `snapshot` marks the channel's recent history (replace, don't append). */
  trades(
    venue: string,
    symbol: string,
    onTrades: (trades: Trade[], snapshot: boolean) => void,
    onError: OnError,
  ): Handle {
    return this.channel<TradesData | TradeData | TradeData[]>(
      `trades.${venue}.${symbol}`,
      (m) => {
        const d = m.data;
        const list: TradeData[] = Array.isArray(d) ? d : 'trades' in d ? d.trades : [d];
        onTrades(
          list.map((t) => ({ ...t, venue, symbol })),
          m.type === 'snapshot',
        );
      },
      onError,
    );
  }

  consolidated(symbol: string, onData: (c: ConsolidatedData) => void, onError: OnError): Handle {
    return this.channel<ConsolidatedData>(
      `consolidated.${symbol}`,
      (m) => onData(m.data),
      onError,
      CONFLATE_MS,
    );
  }

  stats(venue: string, symbol: string, onData: (s: StatsData) => void, onError: OnError): Handle {
    return this.channel<StatsData>(`stats.${venue}.${symbol}`, (m) => onData(m.data), onError);
  }

  private channel<T>(
    channel: string,
    onMessage: (m: DataMessage<T>) => void,
    onError: OnError,
    conflateMs?: number,
  ): Handle {
    const handler = onMessage as unknown as Parameters<TickmeshClient['subscribe']>[1];
    return settle(
      this.client.subscribe(channel, handler, conflateMs === undefined ? {} : { conflateMs }),
      onError,
    );
  }

  close(): void {
    this.client.close();
  }
}

/** A Handle over a subscription that may still be pending. */
function settle(sub: Subscription | Promise<Subscription>, onError: OnError): Handle {
  let closed = false;
  let live: Subscription | undefined;
  const end = (s: Subscription): void => {
    try {
      void Promise.resolve(s.unsubscribe()).catch(() => undefined);
    } catch {
      /* already gone */
    }
  };
  Promise.resolve(sub).then(
    (s) => (closed ? end(s) : (live = s)),
    (err: unknown) => {
      if (!closed) onError(err instanceof Error ? err : new Error(String(err)));
    },
  );
  return {
    close() {
      if (closed) return;
      closed = true;
      if (live !== undefined) end(live);
    },
  };
}
