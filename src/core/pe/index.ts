// PE images in dump memory: headers, exports, debug directory, .pdata and x64 unwind data.
export * from './limits.js';
export * from './image.js';
export * from './exports.js';
export * from './debug-directory.js';
export * from './pdata.js';
export * from './unwind-x64.js';
