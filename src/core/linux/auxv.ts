/**
 * The ELF auxiliary vector (/proc/PID/auxv, Breakpad's LinuxAuxv stream): native-word (4 or 8
 * bytes) type/value pairs ending with AT_NULL.
 */

/** Auxiliary vector types used by dumpkit (<elf.h>). */
export const AuxvType = {
  AT_NULL: 0n,
  /** Address of the main executable's program header table. */
  AT_PHDR: 3n,
  /** Size of one program header entry. */
  AT_PHENT: 4n,
  /** Number of program headers. */
  AT_PHNUM: 5n,
  /** Address of the vDSO's ELF header. */
  AT_SYSINFO_EHDR: 33n,
} as const;

export interface AuxvEntry {
  type: bigint;
  value: bigint;
}

/** Decodes the pairs up to and including AT_NULL (a trailing partial pair is ignored). */
export function readAuxv(bytes: Uint8Array, wordSize: 4 | 8): AuxvEntry[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const word = (off: number): bigint => (wordSize === 8 ? dv.getBigUint64(off, true) : BigInt(dv.getUint32(off, true)));
  const out: AuxvEntry[] = [];
  for (let off = 0; off + 2 * wordSize <= bytes.length; off += 2 * wordSize) {
    const type = word(off);
    out.push({ type, value: word(off + wordSize) });
    if (type === AuxvType.AT_NULL) break;
  }
  return out;
}

/** The value of the first entry of `type`, or undefined. */
export function findAuxv(entries: AuxvEntry[], type: bigint): bigint | undefined {
  return entries.find((e) => e.type === type)?.value;
}
