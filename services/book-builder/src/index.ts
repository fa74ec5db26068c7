/** In-process API of the book-builder (tests, embedding). The service entry point is main.ts. */
export { startBookBuilder, type RunningBookBuilder } from './book-builder';
export { withDefaults, BookBuilderConfigSchema, type BookBuilderConfig } from './config';
export { parseEquivalences, consolidatedSymbolOf, EquivalenceError } from './equivalence';
