// Windows kernel-mode dumps (PAGEDUMP / PAGEDU64): reader, writer, layouts.
export * from './offsets.js';
export * from './header.js';
export * from './context.js';
export * from './physical.js';
export * from './secondary-data.js';
export * from './limits.js';
export * from './kernel-dump.js';
export * from './writer.js';
export * from './virtual.js';
export * from './kernel-facts.js';
export * from './triage.js';
export * from './bugcheck.js';
export * from './bugcheck-codes.js';
export * from './limits-text.js';
export * from './processes.js';
export * from './threads.js';
