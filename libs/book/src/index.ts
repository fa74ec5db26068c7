export { OrderBook, type OrderBookOptions, type BookTop, type BookDepth } from './order-book';
export type { ReadonlyBookSide } from './book-side';
export { BookError, validateLevels, type BookSideName, type BookErrorField } from './book-error';
export { addDecimal, subDecimal, sumSizes, notional } from './decimal-math';
export { sortKey } from './sort-key';
