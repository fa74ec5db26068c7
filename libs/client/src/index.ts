/** @tickmesh/client: typed SDK for the tickmesh gateway protocol (Node and browsers). */
export { TickmeshClient } from './client';
export { channelStream } from './stream';
export { BookViewState, compareDecimalText, type BookOptions, type BookView } from './book';
export { backoffDelay, DEFAULT_BACKOFF, type Backoff } from './backoff';
export { OPEN, type WebSocketConstructor, type WebSocketLike } from './websocket';
export {
  TickmeshError,
  type ClientErrorCode,
  type ClientEvents,
  type ClientState,
  type DataFor,
  type GapEvent,
  type MessageFor,
  type ReconnectOptions,
  type SubscribeOptions,
  type Subscription,
  type TickmeshClientOptions,
} from './types';
export type {
  BookViewData,
  ConsolidatedData,
  GapMessage,
  InstrumentInfo,
  StatsData,
  TradeData,
  TradesData,
  ConflationMark,
  DataMessage,
  NotRecoveredMessage,
  ResumedMessage,
  ResumePosition,
  StatusData,
  TobData,
} from '@tickmesh/contracts';
