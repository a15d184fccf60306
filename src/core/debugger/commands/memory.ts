/** Memory display and search: db dw dd dq dp da du dps dqs dds, s. */
import { DumpError } from '../../errors.js';
import { asciiChar, unit, unreadable } from '../format.js';
import type { Command, DebuggerSession, UnitRead } from '../types.js';

/** Largest display (`d*` with L); larger needs `s` or `dumpkit read`. */
const MAX_DISPLAY_BYTES = 16 * 1024 * 1024;
/** WinDbg's limit for a range given without `L?`. */
const MAX_PLAIN_RANGE = 256 * 1024 * 1024;
const MAX_HITS = 10000;
const SEARCH_CHUNK = 1 << 20;

function le(bytes: Uint8Array, off: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[off + i]!);
  return v;
}

function allValid(valid: Uint8Array, off: number, size: number): boolean {
  for (let i = 0; i < size; i++) if (!valid[off + i]) return false;
  return true;
}

/**
 * Lines of a hex display in WinDbg's layout: the address, `perLine` units, and for bytes a `-`
 * after the eighth and the ASCII column. `label` prints an address column (virtual, or `#` + PA).
 */
export function unitLines(start: bigint, r: UnitRead, size: number, label: (a: bigint) => string): string[] {
  const perLine = size === 1 ? 16 : 16 / size;
  const lines: string[] = [];
  const n = r.bytes.length;
  for (let off = 0; off < n; off += perLine * size) {
    const cells: string[] = [];
    let ascii = '';
    for (let i = 0; i < perLine && off + i * size < n; i++) {
      const o = off + i * size;
      if (o + size > n) break;
      const ok = allValid(r.valid, o, size);
      const cell = ok ? unit(le(r.bytes, o, size), size) : unreadable(size);
      cells.push(size === 1 && i === 8 ? `-${cell}` : (size === 1 && i > 0 ? ' ' : i > 0 ? ' ' : '') + cell);
      if (size === 1) ascii += ok ? asciiChar(r.bytes[o]!) : '?';
    }
    let text = `${label(start + BigInt(off))}  ${cells.join('')}`;
    if (size === 1) text = `${text.padEnd(label(start).length + 2 + 16 * 3 - 1)}  ${ascii}`;
    lines.push(text);
  }
  return lines;
}

const DISPLAY: Record<string, { size: number; count: number; kind: 'units' | 'ascii' | 'unicode' | 'symbols' }> = {
  db: { size: 1, count: 0x80, kind: 'units' },
  dw: { size: 2, count: 0x40, kind: 'units' },
  dd: { size: 4, count: 0x20, kind: 'units' },
  dq: { size: 8, count: 0x10, kind: 'units' },
  da: { size: 1, count: 0x80, kind: 'ascii' },
  du: { size: 2, count: 0x80, kind: 'unicode' },
  dds: { size: 4, count: 0x20, kind: 'symbols' },
  dqs: { size: 8, count: 0x10, kind: 'symbols' },
};

async function display(engine: DebuggerSession, name: string, args: string): Promise<{ text: string; data: unknown }> {
  const cmd = name === 'dp' ? (engine.pointerSize === 8 ? 'dq' : 'dd') : name === 'dps' ? (engine.pointerSize === 8 ? 'dqs' : 'dds') : name;
  const spec = DISPLAY[cmd]!;
  const range = await engine.parseRange(args, spec.size);
  let start: bigint;
  if (range) start = range.start;
  else if (engine.next.dump) start = engine.next.dump.address;
  else throw new DumpError('INVALID_ARGUMENT', `${name} needs an address`);
  const count = range?.count ?? spec.count;
  const bytes = count * spec.size;
  if (bytes > MAX_DISPLAY_BYTES || (bytes > MAX_PLAIN_RANGE && !range?.large)) throw new DumpError('INVALID_ARGUMENT', `Range error: ${bytes} bytes is more than ${name} shows (16 MiB)`);
  const r = await engine.readUnits(start, bytes);
  const label = (a: bigint): string => engine.formatAddress(a);
  const lines: string[] = [];
  if (spec.kind === 'units') lines.push(...unitLines(start, r, spec.size, label));
  else if (spec.kind === 'symbols') {
    for (let off = 0; off < bytes; off += spec.size) {
      const a = start + BigInt(off);
      if (!allValid(r.valid, off, spec.size)) {
        lines.push(`${label(a)}  ${unreadable(spec.size)}`);
        continue;
      }
      const v = le(r.bytes, off, spec.size);
      const sym = await engine.symbolize(v);
      lines.push(`${label(a)}  ${unit(v, spec.size)}${sym ? ` ${sym}` : ''}`);
    }
  } else {
    // strings: up to the first NUL (or the count), 32 characters a line
    let s = '';
    let off = 0;
    let ok = true;
    for (; off + spec.size <= bytes; off += spec.size) {
      if (!allValid(r.valid, off, spec.size)) {
        ok = off > 0;
        break;
      }
      const c = Number(le(r.bytes, off, spec.size));
      if (c === 0) break;
      s += spec.kind === 'ascii' ? asciiChar(c) : c >= 0x20 && c < 0xd800 ? String.fromCharCode(c) : '.';
    }
    if (!ok) lines.push(`${label(start)}  ${'?'.repeat(8)}`);
    else {
      if (s === '') lines.push(`${label(start)}  ""`);
      for (let i = 0; i < s.length; i += 32) lines.push(`${label(start + BigInt(i * spec.size))}  "${s.slice(i, i + 32)}"`);
    }
  }
  if (!engine.ignoreMissingPages) lines.push(...engine.missingNote(r.missing));
  engine.next.dump = { command: name, address: start + BigInt(bytes) };
  return { text: lines.join('\n'), data: { address: start, bytes: Array.from(r.bytes), valid: Array.from(r.valid) } };
}

function displayCommand(name: string, what: string): Command {
  return {
    names: [name],
    usage: `${name} [RANGE]`,
    summary: `display memory as ${what}`,
    help:
      `Shows memory as ${what}. RANGE is ADDR, ADDR ENDADDR, ADDR L COUNT (COUNT units) or ADDR L?COUNT (past 256 MiB). ` +
      'Without a range it goes on after the previous display. Memory the dump does not hold shows as ?? (one group of ? per unit), followed by a line saying why (not in the dump, or only kernel address space in a kernel dump) and whether .ignore_missing_pages would help. Addresses are MASM expressions: `dq @rsp L4`, `db poi(rsp+8)`.',
    async run(engine, { args, name: typed }) {
      return display(engine, typed, args);
    },
  };
}

interface SearchSpec {
  pattern: Uint8Array;
  /** Alignment of hits (1 for bytes and strings, the unit size otherwise). */
  align: number;
  unitSize: number;
}

async function parseSearch(engine: DebuggerSession, args: string): Promise<{ start: bigint; end: bigint; spec: SearchSpec }> {
  let rest = args.trim();
  let type = 'b';
  const opt = /^-(\d*)([bwdqau])\s+/i.exec(rest);
  if (opt) {
    type = opt[2]!.toLowerCase();
    rest = rest.slice(opt[0].length);
  }
  const unitSize = { b: 1, w: 2, d: 4, q: 8, a: 1, u: 2 }[type as 'b']!;
  const range = await engine.parseRange(rest, unitSize);
  if (!range || range.countBig === undefined) throw new DumpError('INVALID_ARGUMENT', 's needs a range: s [-b|-w|-d|-q|-a|-u] ADDR L COUNT PATTERN');
  const bytes = range.countBig * BigInt(unitSize);
  if (bytes > BigInt(MAX_PLAIN_RANGE) && !range.large) throw new DumpError('INVALID_ARGUMENT', `Range error: ${bytes} bytes is over 256 MiB; use L? to search a larger range`);
  let pattern: number[] = [];
  const text = range.rest;
  if (type === 'a' || type === 'u') {
    const m = /^"((?:[^"\\]|\\.)*)"\s*$/.exec(text);
    if (!m) throw new DumpError('INVALID_ARGUMENT', `s -${type} takes a quoted string: s -${type} ADDR L COUNT "text"`);
    const s = m[1]!.replace(/\\(.)/g, '$1');
    for (const ch of s) {
      const c = ch.charCodeAt(0);
      if (type === 'a') pattern.push(c & 0xff);
      else pattern.push(c & 0xff, c >> 8);
    }
  } else {
    let pos = 0;
    while (text.slice(pos).trim() !== '') {
      const r = await engine.evaluatePrefix(text, pos);
      for (let i = 0; i < unitSize; i++) pattern.push(Number((r.value >> BigInt(8 * i)) & 0xffn));
      pos = r.end;
    }
  }
  if (pattern.length === 0) throw new DumpError('INVALID_ARGUMENT', 's needs a pattern to search for');
  if (pattern.length > 4096) pattern = pattern.slice(0, 4096);
  const top = 1n << BigInt(engine.pointerSize * 8);
  return { start: range.start, end: range.start + bytes > top ? top : range.start + bytes, spec: { pattern: Uint8Array.from(pattern), align: type === 'a' || type === 'u' || type === 'b' ? 1 : unitSize, unitSize } };
}

/** Finds every occurrence of `spec.pattern` in the readable memory of [start, end); stops on `signal`. */
export async function searchMemory(engine: DebuggerSession, start: bigint, end: bigint, spec: SearchSpec, signal: AbortSignal): Promise<{ hits: bigint[]; capped: boolean }> {
  const hits: bigint[] = [];
  const p = spec.pattern;
  const first = p[0]!;
  let lastYield = Date.now();
  for await (const ext of engine.target.extents(start, end, signal)) {
    for (let at = ext.start; at < ext.end; ) {
      signal.throwIfAborted();
      if (Date.now() - lastYield > 50) {
        await new Promise((r) => setTimeout(r, 0));
        signal.throwIfAborted();
        lastYield = Date.now();
      }
      const chunkEnd = at + BigInt(SEARCH_CHUNK) < ext.end ? at + BigInt(SEARCH_CHUNK) : ext.end;
      const readEnd = chunkEnd + BigInt(p.length - 1) < ext.end ? chunkEnd + BigInt(p.length - 1) : ext.end;
      const buf = await engine.target.read(at, Number(readEnd - at));
      const scan = Number(chunkEnd - at);
      for (let i = buf.indexOf(first); i >= 0 && i < scan; i = buf.indexOf(first, i + 1)) {
        if (i + p.length > buf.length) break;
        if (spec.align > 1 && (at + BigInt(i)) % BigInt(spec.align) !== 0n) continue;
        let k = 1;
        while (k < p.length && buf[i + k] === p[k]) k++;
        if (k === p.length) {
          hits.push(at + BigInt(i));
          if (hits.length >= MAX_HITS) return { hits, capped: true };
        }
      }
      at = chunkEnd;
    }
  }
  return { hits, capped: false };
}

export const MEMORY_COMMANDS: Command[] = [
  displayCommand('db', 'bytes with their ASCII'),
  displayCommand('dw', 'words (16-bit)'),
  displayCommand('dd', 'double words (32-bit)'),
  displayCommand('dq', 'quad words (64-bit)'),
  displayCommand('dp', 'pointers (the target\'s size)'),
  displayCommand('da', 'an ASCII string'),
  displayCommand('du', 'a UTF-16 string'),
  displayCommand('dps', 'pointers with the symbol each points into'),
  displayCommand('dqs', 'quad words with symbols'),
  displayCommand('dds', 'double words with symbols'),
  {
    names: ['s'],
    usage: 's [-b|-w|-d|-q|-a|-u] RANGE PATTERN',
    summary: 'search memory for bytes, numbers or a string',
    help:
      'Searches the memory the dump holds in RANGE (ADDR L COUNT, ADDR ENDADDR, or ADDR L?COUNT past 256 MiB) and prints each hit as a line of memory. ' +
      '-b (default): a list of bytes (`s -b 0 L?7fffffff 4d 5a 90`); -w/-d/-q: 16/32/64-bit numbers, found at aligned addresses; -a "text": an ASCII string; -u "text": a UTF-16 string. ' +
      'Only present memory is read: minidump ranges, or in a kernel dump the mapped pages whose physical page is in the dump (whole unmapped areas are skipped). Ctrl-C stops a long search. At most 10000 hits are listed.',
    async run(engine, { args, signal }) {
      const { start, end, spec } = await parseSearch(engine, args);
      const { hits, capped } = await searchMemory(engine, start, end, spec, signal);
      const lines: string[] = [];
      for (const h of hits) {
        const r = await engine.readUnits(h, 16);
        lines.push(...unitLines(h, r, spec.unitSize === 8 ? 8 : spec.align > 1 ? spec.unitSize : 1, (a) => engine.formatAddress(a)));
      }
      if (capped) lines.push(`(search stopped after ${MAX_HITS} hits)`);
      return { text: lines.join('\n'), data: { hits } };
    },
  },
];
