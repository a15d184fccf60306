// Symbol sources behind the SymbolProvider contract.
export type * from './types.js';
export * from './breakpad/index.js';
