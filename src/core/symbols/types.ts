// The contract between symbol sources (Breakpad .sym, ELF, PE), the unwinder and the processor.
// Types only: every symbol source implements SymbolProvider; the unwinder and processor consume it.
import type { ByteSource } from '../bytes/byte-source.js';

/**
 * A loaded code module as the unwinder and symbol providers see it, whatever the dump kind
 * (minidump MINIDUMP_MODULE, kernel driver from PsLoadedModuleList, a Linux mapping).
 * Identifiers use Breakpad's spelling: `debugId` is the 33-hex-digit GUID+age (PDB) or the
 * ELF build id folded into a GUID plus age 0; `codeId` is TimeDateStamp+SizeOfImage (PE) or the
 * whole build id in hex (ELF).
 */
export interface CodeModule {
  /** Load address of the image's first byte. */
  base: bigint;
  /** Bytes the image spans in the address space. */
  size: bigint;
  /** Full path or name of the image as the dump records it (`C:\…\kernel32.dll`, `/usr/lib/libc.so.6`). */
  codeFile: string;
  codeId?: string;
  /** Debug file name (`kernel32.pdb`; for ELF, the module's base name). */
  debugFile?: string;
  debugId?: string;
  version?: string;
  /** Raw ELF build id, when the module has one (for `.build-id/xx/yyyy.debug` lookups). */
  buildId?: Uint8Array;
  /** Image format, when known: decides which in-memory parsers apply. */
  format?: 'pe' | 'elf' | 'macho';
}

/** One inlined call, innermost first, as Breakpad INLINE records describe it. */
export interface InlineFrame {
  function: string;
  /** Source position of the code inside the inlined function at this address. */
  file?: string;
  line?: number;
  /** Start of the inlined code's range holding the address (absolute), when known (Breakpad INLINE ranges). */
  functionBase?: bigint;
}

/** What a symbol source knows about one address. All offsets are bigint. */
export interface SymbolInfo {
  /** Function or public symbol name. */
  function: string;
  /** Address of the function's first byte (absolute, in the dump's address space). */
  functionBase: bigint;
  /** Size of the function in bytes, when known (FUNC records, ELF st_size). */
  functionSize?: bigint;
  /** Source file and line of the address itself (outermost, i.e. in the non-inlined function). */
  file?: string;
  line?: number;
  /** First byte of the line record holding the address (absolute), for Breakpad's `[file : line + 0xN]`. */
  lineBase?: bigint;
  /** Inlined calls at the address, innermost first ([] or absent when none). */
  inlines?: InlineFrame[];
  /** Bytes of parameters popped by the callee (Breakpad FUNC/PUBLIC parameter_size; x86 only). */
  parameterSize?: number;
  /** Where the name came from. */
  source: 'breakpad' | 'elf-symtab' | 'elf-dynsym' | 'dwarf' | 'pe-export' | 'model';
  /** True for PUBLIC-style symbols without an extent (the address may lie past the real function). */
  isPublic?: boolean;
  /** Breakpad's `m` flag on FUNC/PUBLIC: several functions were folded into this code, the name is one of them. */
  isMultiple?: boolean;
}

/**
 * Breakpad STACK CFI rules in force at one address, merged from the INIT record and every later
 * delta up to the address. Keys are `.cfa`, `.ra` and register names without `$` (`rsp`, `rbp`,
 * `x29`, `ebp`); values are Breakpad postfix expressions (`rsp 16 +`, `.cfa -16 + ^`).
 * DWARF CFI (`.eh_frame`/`.debug_frame`) and PE unwind data are translated into the same form, as
 * Breakpad's dump_syms does, so the unwinder evaluates one language.
 */
export type CfiRules = Record<string, string>;

/** A Breakpad STACK WIN record (x86 Windows frame data, FPO or program string). */
export interface StackWinRecord {
  /** 0 = FPO, 4 = FrameData (program string), others as in the MSDIA enum. */
  type: number;
  /** Module-relative address and extent covered. */
  rva: bigint;
  codeSize: number;
  prologSize: number;
  epilogSize: number;
  parameterSize: number;
  savedRegisterSize: number;
  localSize: number;
  maxStackSize: number;
  /** Program string (type 4 with has_program_string), else undefined. */
  programString?: string;
  /** For records without a program string: whether EBP is used as a general register. */
  allocatesBasePointer: boolean;
}

/** Unwind information for one address, from whichever source knew it. */
export type UnwindInfo =
  | { kind: 'cfi'; rules: CfiRules; source: 'breakpad' | 'eh_frame' | 'debug_frame' | 'pe-pdata' | 'model' }
  | { kind: 'win'; record: StackWinRecord; source: 'breakpad' };

/** How a provider fared for one module (rust-minidump's `loaded_symbols` / `missing_symbols` / `corrupt_symbols`). */
export type SymbolStatus = 'loaded' | 'missing' | 'corrupt' | 'not-tried';

/**
 * A source of symbols and unwind data. Every method may be called many times for the same module:
 * implementations index once per module and cache. Lookups never throw for a missing module or
 * address (they return undefined); corrupt input becomes a diagnostic and `status` 'corrupt'.
 */
export interface SymbolProvider {
  /** The function (and line, inlines) holding `address` in `module`. */
  lookup(module: CodeModule, address: bigint): Promise<SymbolInfo | undefined>;
  /** Unwind rules in force at `address` in `module`. */
  unwindInfo(module: CodeModule, address: bigint): Promise<UnwindInfo | undefined>;
  /** What happened when this provider looked for the module's symbols. */
  status(module: CodeModule): SymbolStatus;
}

/**
 * How the core opens files it does not own (symbol files, module images on disk) without importing
 * Node: the Node edge passes a file-system opener, the browser one over dropped `File`s.
 * `open` returns undefined when there is no regular file at the path; it never throws for that.
 */
export interface FileOpener {
  open(path: string): Promise<ByteSource | undefined>;
  /** Path separator used to join search paths ('/' on POSIX and in the browser). */
  readonly separator: string;
}
