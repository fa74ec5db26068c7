export * from './subjects';
export * from './decimal';
export * from './time';
export * from './messages';
export * from './codec';
export * from './gateway';
export * from './instruments';
export * from './redis';
