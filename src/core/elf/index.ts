// ELF files: headers, function symbols, call frame information, line tables (see docs/elf.md).
export * from './elf-file.js';
export * from './symtab.js';
export * from './eh-frame.js';
export * from './cfi-rules.js';
export * from './dwarf-line.js';
export { readElfIdentity, findBuildIdNote, type ElfIdentity } from './build-id.js';
export { parseElfForFuzz, type ElfFuzzSummary } from './fuzz.js';
