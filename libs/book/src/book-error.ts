/**
 * Input validation for book updates. Every price and size entering a book must be plain decimal
 * text (`isDecimalText` from contracts: digits, optional fraction, at most 64 characters). A book
 * validates a whole update before touching any level, so a rejected update leaves it unchanged.
 */
import { isDecimalText, type Level } from '@tickmesh/contracts';

export type BookSideName = 'bid' | 'ask';

/** Which part of a level was rejected. `level` means the entry was not a `[price, size]` pair. */
export type BookErrorField = 'price' | 'size' | 'level';

/**
 * A level that is not valid decimal text. Carries the offending value (as received, so a log shows
 * exactly what the venue or the bus sent), the side and the field.
 */
export class BookError extends Error {
  override readonly name = 'BookError';

  constructor(
    message: string,
    readonly value: unknown,
    readonly side?: BookSideName,
    readonly field?: BookErrorField,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Throws `BookError` on the first level whose price or size is not decimal text. Levels arriving
 * from JSON are typed but not trusted, so non-strings and malformed tuples are rejected too.
 */
export function validateLevels(side: BookSideName, levels: readonly Level[]): void {
  for (let i = 0; i < levels.length; i++) {
    const level: unknown = levels[i];
    if (!Array.isArray(level) || level.length !== 2) {
      throw new BookError(`${side} level ${i} is not a [price, size] pair`, level, side, 'level');
    }
    const price: unknown = level[0];
    const size: unknown = level[1];
    if (typeof price !== 'string' || !isDecimalText(price)) {
      throw new BookError(`${side} level ${i}: price is not decimal text`, price, side, 'price');
    }
    if (typeof size !== 'string' || !isDecimalText(size)) {
      throw new BookError(`${side} level ${i}: size is not decimal text`, size, side, 'size');
    }
  }
}
