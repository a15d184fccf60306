// The Node edge: the core plus file access and live capture.
export * from '../core/index.js';
export * from './file-source.js';
export * from './file-sink.js';
export { fileSystemOpener, openSymbolProvider, symbolSearchPath } from './symbols/index.js';
