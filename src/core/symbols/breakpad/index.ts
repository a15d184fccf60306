export { BreakpadSymFile, indexBreakpadSym, type BreakpadSymbol, type BreakpadSymStats } from './sym-file.js';
export { BreakpadSymbolProvider, type BreakpadSymbolProviderOptions } from './provider.js';
export { baseName, symbolFileComponents, symbolFilePaths } from './symbol-path.js';
export { applyCfiRuleSet } from './stack-cfi.js';
export { BreakpadSymLimits } from './limits.js';
