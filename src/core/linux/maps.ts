import { DumpError } from '../errors.js';

/** One line of /proc/PID/maps. */
export interface Mapping {
  start: bigint;
  end: bigint;
  /** e.g. "r-xp" */
  perms: string;
  offset: bigint;
  dev: string;
  inode: number;
  /** File path, "[heap]", "[stack]", "[vdso]"…, or "" for anonymous memory. */
  path: string;
  /** Bytes of anonymous (modified/private) pages, from /proc/PID/smaps, when known. */
  anonymousBytes?: number;
}

export const MAX_MAPPINGS = 1_000_000;

/** Parses /proc/PID/maps text. Malformed lines are an error naming the line. */
export function parseMaps(text: string): Mapping[] {
  const out: Mapping[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    if (out.length >= MAX_MAPPINGS) throw new DumpError('COUNT_TOO_LARGE', `more than ${MAX_MAPPINGS} mappings in maps`);
    const m = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S{4})\s+([0-9a-f]+)\s+(\S+)\s+(\d+)\s*(.*)$/i.exec(line);
    if (!m) throw new DumpError('INVALID_ARGUMENT', `maps line ${i + 1} is not "start-end perms offset dev inode path": ${JSON.stringify(line.slice(0, 120))}`);
    out.push({
      start: BigInt('0x' + m[1]),
      end: BigInt('0x' + m[2]),
      perms: m[3]!,
      offset: BigInt('0x' + m[4]),
      dev: m[5]!,
      inode: Number(m[6]),
      path: m[7]!,
    });
  }
  return out;
}

/**
 * Adds `anonymousBytes` from /proc/PID/smaps text (its "Anonymous:" line per mapping), matched
 * by start address.
 */
export function applySmaps(mappings: Mapping[], smapsText: string): void {
  const byStart = new Map<bigint, Mapping>();
  for (const m of mappings) byStart.set(m.start, m);
  let current: Mapping | undefined;
  for (const line of smapsText.split('\n')) {
    const head = /^([0-9a-f]+)-[0-9a-f]+\s/i.exec(line);
    if (head) {
      current = byStart.get(BigInt('0x' + head[1]));
      continue;
    }
    const anon = /^Anonymous:\s+(\d+)\s+kB/.exec(line);
    if (anon && current) current.anonymousBytes = Number(anon[1]) * 1024;
  }
}

/** A file-backed mapping (a real file, not [heap]/[stack]/anonymous). */
export function isFileBacked(m: Mapping): boolean {
  return m.inode !== 0 && m.path.startsWith('/');
}

/** Readable memory that is safe to copy (no [vvar]/[vsyscall], no device files). */
export function isCopyable(m: Mapping): boolean {
  if (m.perms[0] !== 'r') return false;
  if (m.path === '[vvar]' || m.path === '[vvar_vclock]' || m.path === '[vsyscall]') return false;
  if (m.path.startsWith('/dev/') && !m.path.startsWith('/dev/shm/') && !m.path.startsWith('/dev/zero')) return false;
  return m.end > m.start;
}

/** The item holding `address` in a list sorted by start and not overlapping (mappings, core segments). */
export function findMapping<T extends { start: bigint; end: bigint }>(mappings: readonly T[], address: bigint): T | undefined {
  let lo = 0;
  let hi = mappings.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const m = mappings[mid]!;
    if (address < m.start) hi = mid - 1;
    else if (address >= m.end) lo = mid + 1;
    else return m;
  }
  return undefined;
}

export interface ModuleCandidate {
  path: string;
  base: bigint;
  end: bigint;
  /** The mapping's file offset 0 piece (where the ELF header is). */
  first: Mapping;
}

/**
 * Groups file mappings into modules the way Breakpad does: a module starts at a mapping of file
 * offset 0 and extends over the following mappings of the same file (and the anonymous .bss
 * mapping right after them). The vDSO becomes "linux-vdso.so.1".
 */
export function moduleCandidates(mappings: Mapping[]): ModuleCandidate[] {
  const out: ModuleCandidate[] = [];
  let cur: ModuleCandidate | undefined;
  for (const m of mappings) {
    if (m.path === '[vdso]') {
      out.push({ path: 'linux-vdso.so.1', base: m.start, end: m.end, first: m });
      cur = undefined;
      continue;
    }
    if (isFileBacked(m)) {
      if (cur && cur.path === m.path && m.start >= cur.end) {
        cur.end = m.end;
        continue;
      }
      if (m.offset === 0n) {
        cur = { path: m.path.replace(/ \(deleted\)$/, ''), base: m.start, end: m.end, first: m };
        out.push(cur);
        continue;
      }
      cur = undefined;
      continue;
    }
    if (cur && m.path === '' && m.start === cur.end && m.perms.startsWith('rw')) {
      cur.end = m.end; // .bss
      cur = undefined;
      continue;
    }
    cur = undefined;
  }
  return out;
}

/** A mapping that a forked copy of the process does not see as it is (`VmFlags` in /proc/PID/smaps). */
export interface ForkExcluded {
  start: bigint;
  end: bigint;
  /** dc: MADV_DONTFORK (absent from a fork); wf: MADV_WIPEONFORK (zeros in a fork). */
  flag: 'dc' | 'wf';
}

/** Mappings marked MADV_DONTFORK or MADV_WIPEONFORK in /proc/PID/smaps text (V8 marks its heap so). */
export function forkExcluded(smapsText: string): ForkExcluded[] {
  const out: ForkExcluded[] = [];
  let current: { start: bigint; end: bigint } | undefined;
  for (const line of smapsText.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+)\s/i.exec(line);
    if (head) {
      current = { start: BigInt('0x' + head[1]), end: BigInt('0x' + head[2]) };
      continue;
    }
    if (!current || !line.startsWith('VmFlags:')) continue;
    const flags = line.slice(8).trim().split(/\s+/);
    if (flags.includes('dc')) out.push({ ...current, flag: 'dc' });
    else if (flags.includes('wf')) out.push({ ...current, flag: 'wf' });
  }
  return out;
}
