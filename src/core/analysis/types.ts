/**
 * The result of `analyzeDump` and its parts: shared by analyze.ts (which builds it) and format.ts
 * (which lays it out).
 */
import type { CpuArch, OsName } from '../minidump/constants.js';
import type { FrameTrust } from '../unwind/types.js';
import type { ExplainedBugCheck } from './bugcheck-params.js';
import type { CrashReason, ExceptionFacts } from './crash-reason.js';
import type { CrashSignature } from './signature.js';

/** Where an address lies: the module and the offset in it. */
export interface ModuleRef {
  /** Base name (`test_app.exe`, `libc.so.6`, `Ntfs.sys`). */
  name: string;
  path: string;
  base: bigint;
  size: bigint;
  offset: bigint;
}

export interface AnalyzedFrame {
  index: number;
  instruction: bigint;
  trust: FrameTrust;
  sp?: bigint;
  module?: ModuleRef;
  function?: string;
  functionOffset?: bigint;
  file?: string;
  line?: number;
}

/** A record analyze used (`.exr` / `.cxr` / `.trap`), and where it came from. */
export interface RecordUse {
  /** `Exception stream`, `Parameter 3`, `dump header`… */
  source: string;
  /** Its address in the dump's memory, when it was read from memory. */
  address?: bigint;
}

export interface Analysis {
  format: 'minidump' | 'kernel';
  os: OsName;
  arch: CpuArch | 'unknown';
  process?: { name?: string; pid?: number };
  /** False for dump-requested / live dumps: nothing crashed. */
  crashed: boolean;
  /** Kernel dumps: the bug check, its parameters explained. */
  bugCheck?: ExplainedBugCheck;
  /** The exception (minidump Exception stream, or a kernel EXCEPTION_RECORD a parameter points to). */
  exception?: { reason: CrashReason; record: ExceptionFacts; use: RecordUse; threadId?: number };
  /** The registers the stack is walked from. */
  context?: { pc: bigint; sp: bigint; use: RecordUse };
  /** The instruction that faulted (FAULTING_IP) and its module. */
  faultingAddress?: bigint;
  faultingModule?: ModuleRef;
  /** The faulting address as a frame (module, function when symbolized): the stack's frame when it is on it. */
  faultingFrame?: AnalyzedFrame;
  /** The data address the fault was about (READ_ADDRESS / WRITE_ADDRESS), and its module if any. */
  dataAddress?: { address: bigint; access?: 'read' | 'write' | 'execute'; module?: ModuleRef };
  thread?: { id?: number; name?: string };
  stack: AnalyzedFrame[];
  stackEnd?: string;
  /** The first frame outside system modules (WinDbg's FOLLOWUP frame, roughly). */
  followupFrame?: number;
  signature: CrashSignature;
  /** `<reason or bug check>_<image>!<function or +offset>`: dumpkit's bucket, not WinDbg's algorithm. */
  failureBucketId: string;
  /** What the dump kept from being answered. */
  limits: string[];
  diagnostics: string[];
}
