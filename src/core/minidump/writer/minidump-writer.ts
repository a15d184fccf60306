import type { ByteSink } from '../../bytes/byte-sink.js';
import { DumpError } from '../../errors.js';
import { StreamType } from './constants.js';
import { encodeCommentA, encodeCommentW } from './comment.js';
import { encodeContext } from './context.js';
import { NO_LOCATION, type Location } from './encode.js';
import { encodeException } from './exception.js';
import { DIRECTORY_ENTRY_SIZE, encodeHeaderAndDirectory, HEADER_SIZE, type DirectoryEntry } from './header.js';
import { encodeDsoDebug, encodeLinkMap, type LinkMapPlacement } from './linux-dso-debug.js';
import { encodeMemoryInfoList } from './memory-info-list.js';
import { encodeMemoryList, type PlacedMemory } from './memory-list.js';
import { encodeMemory64List } from './memory64-list.js';
import { encodeMiscInfo } from './misc-info.js';
import { wordSizeOf, type SnapshotMemory, type ProcessSnapshot } from './model.js';
import { encodeElfCodeView, encodeModuleList, type ModulePlacement } from './module-list.js';
import { encodeMinidumpString } from './string.js';
import { encodeSystemInfo } from './system-info.js';
import { encodeThreadList, type ThreadPlacement } from './thread-list.js';
import { encodeThreadNames } from './thread-names.js';

const RVA_LIMIT = 2 ** 32;
/** Hard caps so a bad snapshot cannot make the writer allocate without bound. */
export const WRITER_LIMITS = { threads: 100_000, modules: 100_000, memoryRanges: 10_000_000, linkMapEntries: 100_000 } as const;

export interface WriteResult {
  size: number;
  streams: number;
  memoryBytes: number;
  memoryRanges: number;
}

/**
 * Streams a minidump of `snap` into `sink`: header and directory first (patched at the end),
 * metadata streams, MemoryList data (stacks and small windows), thread contexts and lists, and
 * Memory64List data last (its data may pass 4 GiB; every other RVA is 32-bit). Memory bytes are
 * pulled from each range's `chunks()` and written as they come, never assembled.
 */
export async function writeMinidump(snap: ProcessSnapshot, sink: ByteSink, onProgress?: (bytesDone: number, bytesTotal: number) => void): Promise<WriteResult> {
  validate(snap);
  const arch = snap.system.arch;
  const small = snap.memory.filter((m) => m.kind !== 'bulk');
  const bulk = snap.memory.filter((m) => m.kind === 'bulk');
  const entries: DirectoryEntry[] = [];
  // Empty ThreadNames / MemoryInfoList streams are left out: an empty MemoryInfoList would tell a
  // reader (LLDB uses it as the region map) that the process had no memory at all.
  const hasNames = snap.threads.some((t) => t.name !== undefined);
  const hasMemoryInfo = snap.memoryInfo.length > 0;
  const streamCount =
    4 /* SystemInfo, MiscInfo?, ModuleList, ThreadList */ + (hasMemoryInfo ? 1 : 0) + (hasNames ? 1 : 0) + 1 /* MemoryList */ + (bulk.length ? 1 : 0) + (snap.exception ? 1 : 0) + snap.linuxStreams.length + (snap.linuxDsoDebug ? 1 : 0) + (snap.comment !== undefined ? 2 : 0);
  const start = sink.position;
  const out = new Out(sink, start);
  await out.put(new Uint8Array(HEADER_SIZE + streamCount * DIRECTORY_ENTRY_SIZE));

  // SystemInfo first (some readers want it before the contexts).
  const csd = await out.put(encodeMinidumpString(snap.system.csdVersion), 4);
  entries.push({ type: StreamType.SystemInfoStream, location: await out.put(encodeSystemInfo(snap.system, csd.rva), 8) });
  if (snap.misc) entries.push({ type: StreamType.MiscInfoStream, location: await out.put(encodeMiscInfo(snap.misc), 8) });

  if (snap.comment !== undefined) {
    entries.push({ type: StreamType.CommentStreamA, location: await out.put(encodeCommentA(snap.comment), 4) });
    entries.push({ type: StreamType.CommentStreamW, location: await out.put(encodeCommentW(snap.comment), 4) });
  }
  for (const s of snap.linuxStreams) entries.push({ type: s.type, location: await out.put(s.data, 4) });
  if (snap.linuxDsoDebug) {
    // The names, then the MDRawLinkMap array pointing at them, then MDRawDebug pointing at the array.
    const wordSize = wordSizeOf(arch);
    const linkMap: LinkMapPlacement[] = [];
    for (const e of snap.linuxDsoDebug.linkMap) linkMap.push({ addr: e.addr, ld: e.ld, nameRva: (await out.put(encodeMinidumpString(e.name), 4)).rva });
    const map = linkMap.length ? await out.put(encodeLinkMap(linkMap, wordSize), 8) : NO_LOCATION;
    entries.push({ type: StreamType.LinuxDsoDebug, location: await out.put(encodeDsoDebug(snap.linuxDsoDebug, map.rva, wordSize), 8) });
  }

  const modules: ModulePlacement[] = [];
  for (const m of snap.modules) {
    const name = await out.put(encodeMinidumpString(m.path), 4);
    const cvBytes = m.cvRecord ?? (m.buildId && m.buildId.length ? encodeElfCodeView(m.buildId) : undefined);
    const cv = cvBytes ? await out.put(cvBytes, 4) : NO_LOCATION;
    modules.push({ module: m, nameRva: name.rva, cvRecord: cv });
  }
  entries.push({ type: StreamType.ModuleListStream, location: await out.put(encodeModuleList(modules), 8) });

  const names: { threadId: number; nameRva: number }[] = [];
  for (const t of snap.threads) {
    if (t.name !== undefined) names.push({ threadId: t.id, nameRva: (await out.put(encodeMinidumpString(t.name), 4)).rva });
  }
  if (hasNames) entries.push({ type: StreamType.ThreadNamesStream, location: await out.put(encodeThreadNames(names), 4) });

  if (hasMemoryInfo) entries.push({ type: StreamType.MemoryInfoListStream, location: await out.put(encodeMemoryInfoList(snap.memoryInfo), 8) });

  const total = snap.memory.reduce((a, m) => a + m.size, 0);
  let done = 0;
  const progress = (n: number): void => {
    done += n;
    onProgress?.(done, total);
  };
  const placed: PlacedMemory[] = [];
  for (const m of small) {
    await out.align(16);
    const at = out.rva32(m.size, `memory range at 0x${m.address.toString(16)}`);
    await out.stream(m, progress);
    placed.push({ address: m.address, location: { size: m.size, rva: at } });
  }
  entries.push({ type: StreamType.MemoryListStream, location: await out.put(encodeMemoryList(placed), 8) });

  const threads: ThreadPlacement[] = [];
  const contextBytes = new Map<number, Uint8Array>(); // thread id → its CONTEXT as written
  for (const t of snap.threads) {
    const bytes = t.rawContext ?? encodeContext(arch, t.registers);
    const context = await out.put(bytes, 16);
    contextBytes.set(t.id, bytes);
    threads.push({ thread: t, context, stack: { address: t.stack?.address ?? 0n, location: stackLocation(t.stack, placed) } });
  }
  entries.push({ type: StreamType.ThreadListStream, location: await out.put(encodeThreadList(threads), 8) });

  if (snap.exception) {
    // The exception's context is usually the crashing thread's own: point at that copy, as dbghelp
    // and LLDB do, instead of writing the same 716/1232 bytes twice.
    const bytes = snap.exception.rawContext ?? encodeContext(arch, snap.exception.registers);
    const own = contextBytes.get(snap.exception.threadId);
    const shared = own && sameBytes(own, bytes) ? threads.find((p) => p.thread.id === snap.exception!.threadId)?.context : undefined;
    const context = shared ?? (await out.put(bytes, 16));
    entries.push({ type: StreamType.ExceptionStream, location: await out.put(encodeException(snap.exception, context), 8) });
  }

  if (bulk.length) {
    await out.align(16);
    const listSize = 16 + bulk.length * 16;
    const baseRva = out.pos + listSize;
    const loc = await out.put(encodeMemory64List(bulk, baseRva));
    entries.push({ type: StreamType.Memory64ListStream, location: loc });
    for (const m of bulk) await out.stream(m, progress);
  }

  if (entries.length !== streamCount) {
    // MiscInfo absent: fill the reserved slot with an UnusedStream entry (type 0), as dbghelp does.
    while (entries.length < streamCount) entries.push({ type: 0, location: NO_LOCATION });
  }
  await sink.patch(start, encodeHeaderAndDirectory(entries, snap.timestamp, snap.flags));
  return { size: out.pos, streams: entries.length, memoryBytes: total, memoryRanges: snap.memory.length };
}

function stackLocation(stack: { address: bigint; size: number } | undefined, placed: PlacedMemory[]): Location {
  if (!stack || stack.size === 0) return NO_LOCATION;
  for (const p of placed) {
    const end = p.address + BigInt(p.location.size);
    if (stack.address >= p.address && stack.address < end) {
      const skip = Number(stack.address - p.address);
      return { rva: p.location.rva + skip, size: Math.min(stack.size, p.location.size - skip) };
    }
  }
  return NO_LOCATION;
}

function validate(snap: ProcessSnapshot): void {
  if (snap.threads.length > WRITER_LIMITS.threads) throw new DumpError('COUNT_TOO_LARGE', `${snap.threads.length} threads exceed the writer's limit of ${WRITER_LIMITS.threads}`);
  if (snap.modules.length > WRITER_LIMITS.modules) throw new DumpError('COUNT_TOO_LARGE', `${snap.modules.length} modules exceed the writer's limit of ${WRITER_LIMITS.modules}`);
  const linkMapEntries = snap.linuxDsoDebug?.linkMap.length ?? 0;
  if (linkMapEntries > WRITER_LIMITS.linkMapEntries) throw new DumpError('COUNT_TOO_LARGE', `${linkMapEntries} link_map entries exceed the writer's limit of ${WRITER_LIMITS.linkMapEntries}`);
  if (snap.memory.length > WRITER_LIMITS.memoryRanges) throw new DumpError('COUNT_TOO_LARGE', `${snap.memory.length} memory ranges exceed the writer's limit`);
  let prevEnd = -1n;
  for (const m of snap.memory) {
    if (!Number.isSafeInteger(m.size) || m.size < 0) throw new DumpError('INVALID_ARGUMENT', `memory range at 0x${m.address.toString(16)} has a bad size ${m.size}`);
    if (m.address < prevEnd) throw new DumpError('OVERLAP', `memory range at 0x${m.address.toString(16)} overlaps or is out of order with the previous one`);
    prevEnd = m.address + BigInt(m.size);
  }
}

/** Appends to the sink, tracking position, alignment and 32-bit RVA limits. */
class Out {
  constructor(
    private readonly sink: ByteSink,
    private readonly base: number,
  ) {}
  get pos(): number {
    return this.sink.position - this.base;
  }
  rva32(size: number, what: string): number {
    const at = this.pos;
    if (at + size > RVA_LIMIT) throw new DumpError('LIMIT', `${what} would end past 4 GiB in the file; a 32-bit RVA cannot reach it`, { offset: at, length: size });
    return at;
  }
  async align(n: number): Promise<void> {
    const pad = (n - (this.pos % n)) % n;
    if (pad) await this.sink.write(new Uint8Array(pad));
  }
  async put(bytes: Uint8Array, align = 1): Promise<Location> {
    await this.align(align);
    const rva = this.rva32(bytes.length, 'stream');
    await this.sink.write(bytes);
    return { rva, size: bytes.length };
  }
  async stream(m: SnapshotMemory, progress: (n: number) => void): Promise<void> {
    if (m.fill && this.sink.reserve) {
      const at = await this.sink.reserve(m.size);
      await m.fill(at, progress);
      return;
    }
    let got = 0;
    for await (const chunk of m.chunks()) {
      if (got + chunk.length > m.size) throw new DumpError('CAPTURE', `memory range at 0x${m.address.toString(16)} produced more than its ${m.size} bytes`);
      await this.sink.write(chunk);
      got += chunk.length;
      progress(chunk.length);
    }
    if (got !== m.size) throw new DumpError('CAPTURE', `memory range at 0x${m.address.toString(16)} produced ${got} of its ${m.size} bytes`);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
