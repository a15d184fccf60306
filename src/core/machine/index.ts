export * from './machine.js';
export * from './model-types.js';
export * from './nt-layout.js';
export * from './paging.js';
export * from './pe-image.js';
export * from './profiles.js';
export * from './rng.js';
