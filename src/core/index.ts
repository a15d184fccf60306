// The format core: no Node imports anywhere below src/core (checked by tsconfig.core.json).
export * from './errors.js';
export * from './diagnostics.js';
export * from './hex.js';
export * from './numbers.js';
export * from './detect.js';
export * from './bytes/byte-source.js';
export * from './bytes/memory-source.js';
export * from './bytes/blob-source.js';
export * from './bytes/byte-sink.js';
export * from './bytes/struct-view.js';
export * as kernel from './kernel/index.js';
export * as minidump from './minidump/index.js';
export * as varieties from './varieties/index.js';
export * as machine from './machine/index.js';
export * as symbols from './symbols/index.js';
export * as processor from './processor/index.js';
export * as unwind from './unwind/index.js';
export * as elf from './elf/index.js';
