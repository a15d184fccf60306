// Symbol sources behind the SymbolProvider contract.
export type * from './types.js';
export * from './breakpad/index.js';
export { SymbolChain } from './chain.js';
export { ElfSymbolProvider, type ElfSymbolProviderOptions } from './elf/elf-provider.js';
