/**
 * Finds the GNU build id (NT_GNU_BUILD_ID note) of an ELF image through its program headers.
 * Works on a file or on an image mapped in memory (the vDSO), through a bounded read function.
 */
export const ELF_MAX_PHDRS = 512;
export const ELF_MAX_NOTE_BYTES = 1 << 20;

export interface ElfIdentity {
  is64: boolean;
  machine: number;
  buildId?: Uint8Array;
}

/** `read(offset, length)` returns up to `length` bytes (fewer at the end). */
export function readElfIdentity(read: (offset: number, length: number) => Uint8Array, fromMemory = false): ElfIdentity | undefined {
  const eh = read(0, 64);
  if (eh.length < 52 || eh[0] !== 0x7f || eh[1] !== 0x45 || eh[2] !== 0x4c || eh[3] !== 0x46) return undefined;
  const is64 = eh[4] === 2;
  if (eh[5] !== 1) return undefined; // little-endian only
  const dv = new DataView(eh.buffer, eh.byteOffset, eh.byteLength);
  const machine = dv.getUint16(18, true);
  if (is64 && eh.length < 64) return undefined;
  const phoff = is64 ? Number(dv.getBigUint64(32, true)) : dv.getUint32(28, true);
  const phentsize = dv.getUint16(is64 ? 54 : 42, true);
  const phnum = dv.getUint16(is64 ? 56 : 44, true);
  const id: ElfIdentity = { is64, machine };
  if (phnum === 0 || phnum > ELF_MAX_PHDRS || phentsize < (is64 ? 56 : 32) || !Number.isSafeInteger(phoff)) return id;
  const ph = read(phoff, phnum * phentsize);
  const pv = new DataView(ph.buffer, ph.byteOffset, ph.byteLength);
  for (let i = 0; i < phnum && (i + 1) * phentsize <= ph.length; i++) {
    const o = i * phentsize;
    if (pv.getUint32(o, true) !== 4 /* PT_NOTE */) continue;
    const off = is64 ? Number(pv.getBigUint64(o + (fromMemory ? 16 : 8), true)) : pv.getUint32(o + (fromMemory ? 8 : 4), true);
    const size = is64 ? Number(pv.getBigUint64(o + 32, true)) : pv.getUint32(o + 16, true);
    if (!Number.isSafeInteger(off) || size <= 0 || size > ELF_MAX_NOTE_BYTES) continue;
    // For an in-memory image, p_vaddr is relative to the load base for the vDSO (ET_DYN).
    const notes = read(off, size);
    const found = findBuildIdNote(notes);
    if (found) {
      id.buildId = found;
      return id;
    }
  }
  return id;
}

/** The descriptor of the first NT_GNU_BUILD_ID note in a block of ELF notes. */
export function findBuildIdNote(notes: Uint8Array): Uint8Array | undefined {
  const dv = new DataView(notes.buffer, notes.byteOffset, notes.byteLength);
  let o = 0;
  while (o + 12 <= notes.length) {
    const namesz = dv.getUint32(o, true);
    const descsz = dv.getUint32(o + 4, true);
    const type = dv.getUint32(o + 8, true);
    const nameOff = o + 12;
    const descOff = nameOff + align4(namesz);
    if (descOff + descsz > notes.length) return undefined;
    if (type === 3 && namesz === 4 && notes[nameOff] === 0x47 && notes[nameOff + 1] === 0x4e && notes[nameOff + 2] === 0x55) {
      return notes.slice(descOff, descOff + descsz);
    }
    o = descOff + align4(descsz);
  }
  return undefined;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
