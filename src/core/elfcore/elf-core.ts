/**
 * An ELF core file (from the kernel, gdb's gcore or systemd-coredump) read into one model: the
 * architecture, the threads with their registers, the process (NT_PRPSINFO), the auxiliary vector,
 * the file mappings, the fatal signal and the memory. Notes between one NT_PRSTATUS and the next
 * belong to that thread (its floating-point, XSAVE and TLS notes, and NT_SIGINFO); NT_PRPSINFO,
 * NT_AUXV and NT_FILE are the process's wherever they come. The kernel and gdb both write the
 * thread that received the signal first.
 */
import type { ByteSource } from '../bytes/byte-source.js';
import type { Diagnostics } from '../diagnostics.js';
import { DumpError } from '../errors.js';
import { readAuxv, type AuxvEntry } from '../linux/auxv.js';
import type { CpuRegisters, WriterArch } from '../minidump/writer/model.js';
import { parseFileNote, type CoreFileMapping } from './file-note.js';
import { applyRegisterNote } from './fpregs.js';
import { CORE_LIMITS, readCoreHeader } from './header.js';
import { CoreMemory, coreSegments, type CoreSegment } from './memory.js';
import { NoteType, readNotes, type CoreNote } from './notes.js';
import { parsePrPsInfo, type PrPsInfo } from './prpsinfo.js';
import { parsePrStatus, type PrStatus } from './prstatus.js';
import { parseSigInfo, type CoreSigInfo } from './siginfo.js';

export interface CoreThread {
  /** Thread id (pr_pid of its NT_PRSTATUS). */
  id: number;
  status: PrStatus;
  registers: CpuRegisters;
  /** The thread's NT_SIGINFO (gdb writes one per thread that has one; the kernel one, for the first thread). */
  siginfo?: CoreSigInfo;
}

export interface ElfCore {
  arch: Extract<WriterArch, 'amd64' | 'x86' | 'arm64'>;
  /** e_machine. */
  machine: number;
  wordSize: 4 | 8;
  threads: CoreThread[];
  process?: PrPsInfo;
  /** NT_AUXV as written (the LinuxAuxv stream), and decoded. */
  auxv?: Uint8Array;
  auxvEntries: AuxvEntry[];
  /** NT_FILE mappings, and the page size it states. */
  files: CoreFileMapping[];
  pageSize?: number;
  /** The signal that made the core: the first thread's NT_SIGINFO, else its pr_cursig (code and address unknown). */
  signal?: CoreSigInfo & { threadId: number };
  segments: CoreSegment[];
  memory: CoreMemory;
  /** Notes of other types, by "NAME/0xTYPE", with their counts (for info). */
  otherNotes: Record<string, number>;
  source: ByteSource;
}

export async function readElfCore(source: ByteSource, diagnostics: Diagnostics): Promise<ElfCore> {
  const header = await readCoreHeader(source);
  const wordSize: 4 | 8 = header.is64 ? 8 : 4;
  const arch = header.arch;
  if (header.notes.length === 0) diagnostics.add(`${source.name} has no PT_NOTE segment: no threads, registers or file mappings`);
  const notes = await readNotes(source, header.notes, diagnostics);
  const threads: CoreThread[] = [];
  const core: Omit<ElfCore, 'segments' | 'memory'> = { arch, machine: header.machine, wordSize, threads, auxvEntries: [], files: [], otherNotes: {}, source };
  let current: CoreThread | undefined;
  let earlySiginfo: CoreSigInfo | undefined;
  const once = <T>(note: CoreNote, what: string, had: T | undefined, value: () => T): T | undefined => {
    if (had !== undefined) {
      diagnostics.add(`a second ${what} at 0x${note.offset.toString(16)} is ignored`);
      return had;
    }
    return step(note, what, value, diagnostics) ?? had;
  };
  for (const note of notes) {
    const isCore = note.name === 'CORE';
    if (note.type === NoteType.NT_PRSTATUS && isCore) {
      if (threads.length >= CORE_LIMITS.maxThreads) throw new DumpError('COUNT_TOO_LARGE', `more than ${CORE_LIMITS.maxThreads} NT_PRSTATUS notes`, { offset: note.offset, length: note.desc.length });
      const status = step(note, 'NT_PRSTATUS', () => parsePrStatus(arch, note.desc, note.offset), diagnostics);
      if (!status) {
        current = undefined;
        continue;
      }
      current = { id: status.tid, status, registers: { gpr: { ...status.gpr } } };
      threads.push(current);
      continue;
    }
    if (isCore && note.type === NoteType.NT_PRPSINFO) core.process = once(note, 'NT_PRPSINFO', core.process, () => parsePrPsInfo(arch, note.desc, note.offset));
    else if (isCore && note.type === NoteType.NT_AUXV) {
      core.auxv = once(note, 'NT_AUXV', core.auxv, () => note.desc.slice());
      if (core.auxv && !core.auxvEntries.length) core.auxvEntries = readAuxv(core.auxv, wordSize);
    } else if (isCore && note.type === NoteType.NT_FILE) {
      if (core.pageSize !== undefined) diagnostics.add(`a second NT_FILE at 0x${note.offset.toString(16)} is ignored`);
      else {
        const f = step(note, 'NT_FILE', () => parseFileNote(wordSize, note.desc, note.offset, diagnostics), diagnostics);
        if (f) {
          core.pageSize = f.pageSize;
          core.files = f.files;
        }
      }
    } else if (isCore && note.type === NoteType.NT_SIGINFO) {
      const si = step(note, 'NT_SIGINFO', () => parseSigInfo(wordSize, note.desc, note.offset), diagnostics);
      if (si && current) current.siginfo ??= si;
      else if (si) earlySiginfo ??= si;
    } else if (current && applyRegisterNote(arch, current.registers, note, diagnostics)) {
      /* a register note of the current thread */
    } else {
      const key = `${note.name || '(no name)'}/0x${note.type.toString(16)}`;
      core.otherNotes[key] = (core.otherNotes[key] ?? 0) + 1;
    }
  }
  const first = threads[0];
  if (first && earlySiginfo && !first.siginfo) first.siginfo = earlySiginfo;
  if (first) {
    const si = first.siginfo;
    if (si && si.signo > 0) core.signal = { ...si, threadId: first.id };
    else if (first.status.cursig > 0) core.signal = { signo: first.status.cursig, errno: 0, code: first.status.info.code, threadId: first.id };
  }
  if (!threads.length) diagnostics.add(`${source.name} has no NT_PRSTATUS note: no threads`);
  const segments = coreSegments(header.loads, source.size, diagnostics);
  return { ...core, segments, memory: new CoreMemory(source, segments) };
}

/** Runs one note's parser; a DumpError becomes a diagnostic naming the note and the note is skipped. */
function step<T>(note: CoreNote, what: string, parse: () => T, diagnostics: Diagnostics): T | undefined {
  try {
    return parse();
  } catch (e) {
    if (!(e instanceof DumpError)) throw e;
    diagnostics.add(`${what} at 0x${note.offset.toString(16)} skipped: ${e.message}`);
    return undefined;
  }
}
