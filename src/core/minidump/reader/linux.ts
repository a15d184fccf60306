import type { StructView } from '../../bytes/struct-view.js';
import { StructView as View } from '../../bytes/struct-view.js';
import { DumpError } from '../../errors.js';
import { readAuxv, type AuxvEntry } from '../../linux/auxv.js';
import { parseMaps, type Mapping } from '../../linux/maps.js';
import { MinidumpLimits } from '../limits.js';
import { readMinidumpStringSoft, type StreamContext } from './common.js';

/**
 * Breakpad Linux streams that are verbatim file copies: LinuxCpuInfo, LinuxProcStatus, LinuxLsbRelease,
 * LinuxMaps (and LLDB's ProcStat/Uptime/FD): UTF-8 text.
 */
export function readLinuxText(_ctx: StreamContext, v: StructView): string {
  return new TextDecoder('utf-8').decode(v.bytes);
}

/** LinuxCmdLine / LinuxEnviron: NUL-separated strings. */
export function readLinuxNulList(_ctx: StreamContext, v: StructView): string[] {
  const parts = new TextDecoder('utf-8').decode(v.bytes).split('\0');
  if (parts.length && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** One line of /proc/<pid>/maps (the type the live-capture side uses too). */
export type LinuxMapping = Mapping;

/**
 * LinuxMaps parsed into mappings with the shared /proc/<pid>/maps parser, line by line so that a line
 * that does not parse is skipped with a diagnostic instead of losing the whole stream.
 */
export function parseLinuxMaps(ctx: StreamContext, text: string): LinuxMapping[] {
  const out: LinuxMapping[] = [];
  for (const line of text.replace(/\0+$/, '').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(...parseMaps(line));
    } catch (e) {
      if (!(e instanceof DumpError)) throw e;
      ctx.diagnostics.add(`LinuxMaps: unparsable line ${JSON.stringify(line.slice(0, 80))}`);
    }
  }
  return out;
}

/** LinuxAuxv: native-word (4 or 8 bytes) key/value pairs. */
export function readLinuxAuxv(_ctx: StreamContext, v: StructView, wordSize: 4 | 8): AuxvEntry[] {
  return readAuxv(v.bytes, wordSize);
}

/** MDRawDebug (LinuxDsoDebug) with its link map. */
export interface LinuxDsoDebug {
  version: number;
  mapRva: number;
  dsoCount: number;
  brk: bigint;
  ldbase: bigint;
  dynamic: bigint;
  linkMap: { addr: bigint; name: string; ld: bigint }[];
  /** The copy of the executable's dynamic section that follows the header (to the end of the stream). */
  dynamicSection: Uint8Array;
}

/** LinuxDsoDebug: MDRawDebug32/64 + MDRawLinkMap32/64[dso_count] at `map`; the width follows the target. */
export async function readLinuxDsoDebug(ctx: StreamContext, v: StructView, wordSize: 4 | 8): Promise<LinuxDsoDebug> {
  const what = 'LinuxDsoDebug';
  const w = (off: number) => (wordSize === 8 ? v.u64(off) : BigInt(v.u32(off)));
  const version = v.u32(0);
  const mapRva = v.u32(4);
  const dsoCount = v.u32(8);
  const base = wordSize === 8 ? 16 : 12;
  const brk = w(base);
  const ldbase = w(base + wordSize);
  const dynamic = w(base + 2 * wordSize);
  const entry = wordSize === 8 ? 24 : 12;
  if (dsoCount > MinidumpLimits.maxLinkMaps || mapRva + dsoCount * entry > ctx.source.size) {
    throw new DumpError('COUNT_TOO_LARGE', `${what}: ${dsoCount} link map entries at 0x${mapRva.toString(16)} do not fit the file`, {
      offset: v.fileOffset + 8,
      length: 4,
    });
  }
  const linkMap: LinuxDsoDebug['linkMap'] = [];
  if (dsoCount > 0) {
    const m = new View(await ctx.source.read(mapRva, dsoCount * entry), mapRva, 'MDRawLinkMap');
    for (let i = 0; i < dsoCount; i++) {
      const off = i * entry;
      const addr = wordSize === 8 ? m.u64(off) : BigInt(m.u32(off));
      const nameRva = m.u32(off + wordSize);
      const ld = wordSize === 8 ? m.u64(off + 16) : BigInt(m.u32(off + 8));
      linkMap.push({ addr, name: (await readMinidumpStringSoft(ctx, nameRva, `${what}.link_map[${i}].name`)) ?? '', ld });
    }
  }
  const headerSize = wordSize === 8 ? 40 : 24; // MDRawDebug64 (unpacked: 4 bytes of padding before brk) / MDRawDebug32
  const dynamicSection = v.length > headerSize ? v.raw(headerSize, v.length - headerSize) : new Uint8Array(0);
  return { version, mapRva, dsoCount, brk, ldbase, dynamic, linkMap, dynamicSection };
}
