// Byte- and text-level helpers for Breakpad .sym lines: a chunked line scanner over a ByteSource,
// Breakpad's Tokenize, and number parsers with Breakpad's "followed by whitespace or the end" rule.
import type { ByteSource } from '../../bytes/byte-source.js';
import { BreakpadSymLimits } from './limits.js';

const LF = 10;
const CR = 13;

/**
 * Calls `onLine(buf, start, end, fileOffset)` for every non-empty line of `source`, reading
 * `chunkBytes` at a time into one reused buffer (never the whole file; `buf` is only valid during
 * the call). Lines end at LF or CR (as Breakpad splits them); empty lines are skipped. Lines longer than maxLineBytes are
 * skipped and reported through `onGiantLine`. `onLine` returns false to stop the scan.
 */
export async function scanLines(
  source: ByteSource,
  onLine: (buf: Uint8Array, start: number, end: number, fileOffset: number) => boolean | void,
  onGiantLine: (fileOffset: number, length: number) => void,
  from = 0,
  to = source.size,
  chunkBytes: number = BreakpadSymLimits.chunkBytes,
): Promise<void> {
  const maxLine = BreakpadSymLimits.maxLineBytes;
  // work[0, have) is the unfinished line from the previous chunk (at most maxLine bytes), then the new chunk.
  const work = new Uint8Array(Math.min(maxLine + 1 + chunkBytes, to - from));
  let have = 0;
  let haveOffset = from; // file offset of work[0]
  let skipping = false; // inside a giant line: drop bytes up to its end
  let skipStart = 0;
  let off = from;
  while (off < to) {
    const n = Math.min(chunkBytes, to - off, work.length - have);
    const into = work.subarray(have, have + n);
    if (source.readSyncInto) source.readSyncInto(off, into);
    else into.set(await source.read(off, n));
    off += n;
    const len = have + n;
    let start = 0;
    if (skipping) {
      let nl = into.indexOf(LF);
      const cr = into.indexOf(CR);
      if (cr >= 0 && (nl < 0 || cr < nl)) nl = cr;
      if (nl < 0) {
        haveOffset = off;
        continue;
      }
      onGiantLine(skipStart, haveOffset + nl - skipStart);
      skipping = false;
      start = nl + 1;
    }
    // Lines end at LF or CR, as Breakpad's strtok(…, "\r\n") splits them (CRLF gives an empty line, skipped).
    let nextCr = -2; // position of the next CR at or after `start`, -1 when none in this buffer, -2 unknown
    for (;;) {
      let nl = work.indexOf(LF, start);
      if (nl >= len) nl = -1;
      if (nextCr !== -1 && nextCr < start) {
        nextCr = work.indexOf(CR, start);
        if (nextCr >= len) nextCr = -1;
      }
      if (nextCr >= 0 && (nl < 0 || nextCr < nl)) nl = nextCr;
      if (nl < 0) break;
      if (nl - start > maxLine) onGiantLine(haveOffset + start, nl - start);
      else if (!emit(work, start, nl, haveOffset + start, onLine)) return;
      start = nl + 1;
    }
    if (len - start > maxLine) {
      skipping = true;
      skipStart = haveOffset + start;
      have = 0;
      haveOffset = off;
    } else {
      work.copyWithin(0, start, len);
      have = len - start;
      haveOffset += start;
    }
  }
  if (skipping) onGiantLine(skipStart, to - skipStart);
  else if (have > 0) emit(work, 0, have, haveOffset, onLine);
}

function emit(
  buf: Uint8Array,
  start: number,
  end: number,
  fileOffset: number,
  onLine: (buf: Uint8Array, start: number, end: number, fileOffset: number) => boolean | void,
): boolean {
  let e = end;
  while (e > start && buf[e - 1] === CR) e--;
  if (e === start) return true;
  return onLine(buf, start, e, fileOffset) !== false;
}

const decoder = new TextDecoder('utf-8');
export function decodeLine(buf: Uint8Array, start: number, end: number): string {
  return decoder.decode(buf.subarray(start, end));
}

/** True when buf[start…] begins with the ASCII `prefix`. */
export function startsWith(buf: Uint8Array, start: number, end: number, prefix: string): boolean {
  if (end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[start + i] !== prefix.charCodeAt(i)) return false;
  return true;
}

/**
 * Breakpad's Tokenize: splits on spaces, CRs and LFs, at most `maxTokens` tokens, the last one being
 * the rest of the line (up to a CR/LF); undefined unless exactly `maxTokens` tokens were found.
 */
export function tokenize(line: string, maxTokens: number): string[] | undefined {
  // Separators are Breakpad's kWhitespace: space, CR, LF.
  const tokens: string[] = [];
  let i = 0;
  const n = line.length;
  while (tokens.length < maxTokens - 1) {
    while (i < n && isSeparator(line.charCodeAt(i))) i++;
    if (i >= n) break;
    let j = i;
    while (j < n && !isSeparator(line.charCodeAt(j))) j++;
    tokens.push(line.slice(i, j));
    i = j + 1; // strtok consumes exactly one separator after a token
  }
  if (tokens.length === maxTokens - 1 && i < n) {
    // The rest, as strtok(nullptr, "\r\n") returns it: leading CR/LF skipped, up to the next CR/LF.
    let s = i;
    while (s < n && isLineBreak(line.charCodeAt(s))) s++;
    let e = s;
    while (e < n && !isLineBreak(line.charCodeAt(e))) e++;
    if (e > s) tokens.push(line.slice(s, e));
  }
  return tokens.length === maxTokens ? tokens : undefined;
}

function isSeparator(c: number): boolean {
  return c === 0x20 || c === CR || c === LF;
}

function isLineBreak(c: number): boolean {
  return c === CR || c === LF;
}

/** Splits on spaces (and CR/LF) into every token, at most `max`. */
export function splitTokens(line: string, max: number): string[] {
  const out: string[] = [];
  for (const t of line.split(/[ \r\n]+/)) {
    if (t === '') continue;
    if (out.length >= max) break;
    out.push(t);
  }
  return out;
}

const HEX = /^(?:0[xX])?([0-9a-fA-F]{1,16})$/;
const DEC = /^(-?[0-9]{1,16})$/;

/**
 * A hex field as Breakpad's strtoull(…, 16) plus IsValidAfterNumber accepts it (optional 0x, digits,
 * then whitespace or the end): the value as a number, or undefined when malformed. Values of 2^53
 * and more count as malformed too (module-relative addresses never come near).
 */
export function parseHexField(token: string): number | undefined {
  const m = HEX.exec(leadingNumber(token));
  if (!m) return undefined;
  const v = parseInt(m[1]!, 16);
  return Number.isSafeInteger(v) ? v : undefined;
}

/** A decimal field as strtol(…, 10) plus IsValidAfterNumber accepts it; undefined when malformed. */
export function parseDecField(token: string): number | undefined {
  const m = DEC.exec(leadingNumber(token));
  return m ? Number(m[1]) : undefined;
}

/** The part of a token before a space (the last token of Tokenize may hold more words). */
function leadingNumber(token: string): string {
  const sp = token.search(/[ \r\n]/);
  return sp < 0 ? token : token.slice(0, sp);
}

/**
 * Fast path for the indexer: a hex number at buf[pos…] ending at a space or `end`.
 * Returns the value, or -1 when malformed, or -2 when 2^53 or more. Sets `hexEnd` to the byte after it.
 */
export let hexEnd = 0;
export function hexAt(buf: Uint8Array, pos: number, end: number): number {
  let p = pos;
  if (p + 1 < end && buf[p] === 0x30 && (buf[p + 1] === 0x78 || buf[p + 1] === 0x58)) p += 2;
  let v = 0;
  let digits = 0;
  while (p < end) {
    const c = buf[p]!;
    let d: number;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
    else break;
    v = v * 16 + d;
    digits++;
    p++;
  }
  hexEnd = p;
  if (digits === 0 || digits > 16 || (p < end && buf[p] !== 0x20)) return -1;
  return Number.isSafeInteger(v) ? v : -2;
}

/** Index of the first non-space byte at or after `pos`. */
export function skipSpaces(buf: Uint8Array, pos: number, end: number): number {
  while (pos < end && buf[pos] === 0x20) pos++;
  return pos;
}
