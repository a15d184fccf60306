// ELF core files (kernel, gdb's gcore, systemd-coredump) and their conversion to minidumps (see docs/elfcore.md).
export { readElfCore, type ElfCore, type CoreThread } from './elf-core.js';
export { coreToSnapshot, CORE_DUMP_SIGNALS, type CoreSnapshotExtra } from './to-snapshot.js';
export { CORE_LIMITS, readCoreHeader, type CoreHeader, type CoreProgramHeader } from './header.js';
export { CoreMemory, CORE_CHUNK_BYTES, type CoreSegment } from './memory.js';
export { coreMappings, mapsText, type CoreMappings } from './mappings.js';
export { NoteType, type CoreNote } from './notes.js';
export type { PrStatus } from './prstatus.js';
export type { PrPsInfo } from './prpsinfo.js';
export type { CoreSigInfo } from './siginfo.js';
export type { CoreFileMapping } from './file-note.js';
export { summarizeElfCore, formatElfCoreSummary, type ElfCoreSummary } from './summary.js';
