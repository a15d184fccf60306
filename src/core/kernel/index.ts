// Windows kernel-mode dumps (PAGEDUMP / PAGEDU64): reader, writer, layouts.
export * from './offsets.js';
export * from './header.js';
export * from './context.js';
export * from './physical.js';
export * from './secondary-data.js';
export * from './limits.js';
export * from './kernel-dump.js';
export * from './writer.js';
