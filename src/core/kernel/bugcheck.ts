import { BUGCHECK_CODES, LIVE_DUMP_CODES } from './bugcheck-codes.js';

/** Name of a bug check or live-dump code; `_M` variants (bit 0x10000000) get the base name + `_M`. */
export function bugCheckName(code: number): string | undefined {
  if (code === 0) return undefined;
  const direct = BUGCHECK_CODES.get(code) ?? LIVE_DUMP_CODES.get(code);
  if (direct) return direct;
  if ((code & 0x10000000) !== 0) {
    const base = bugCheckName(code & ~0x10000000);
    if (base) return `${base}_M`;
  }
  return undefined;
}

/** True for a live kernel dump reason code (0x161 LIVE_SYSTEM_DUMP and the *_LIVEDUMP family). */
export function isLiveDumpCode(code: number): boolean {
  return LIVE_DUMP_CODES.has(code) && !BUGCHECK_CODES.has(code);
}
