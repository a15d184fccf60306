/**
 * The first page of a modeled kernel-mode image: a small but well-formed PE32+ header (MZ, PE,
 * AMD64 COFF header, optional header with ImageBase/SizeOfImage, .text and .data sections), so
 * tools that check a module base for `MZ` and parse SizeOfImage see what they expect.
 */
export interface PeSectionSpec {
  name: string;
  rva: number;
  size: number;
  characteristics: number;
}

export const SCN_TEXT = 0x60000020; // code, execute, read
export const SCN_RDATA = 0x40000040; // initialized data, read
export const SCN_DATA = 0xc8000040; // initialized data, read, write, not paged

export function peHeaderPage(
  imageBase: bigint,
  sizeOfImage: number,
  timeDateStamp: number,
  entryRva: number,
  dataRva: number,
  /** Data directories to fill (IMAGE_DIRECTORY_ENTRY index → RVA and size). */
  directories: { index: number; rva: number; size: number }[] = [],
  /** Sections (default: .text up to dataRva, .data after). */
  sections: PeSectionSpec[] = [
    { name: '.text', rva: 0x1000, size: dataRva - 0x1000, characteristics: SCN_TEXT },
    { name: '.data', rva: dataRva, size: sizeOfImage - dataRva, characteristics: SCN_DATA },
  ],
): Uint8Array {
  const page = new Uint8Array(4096);
  const v = new DataView(page.buffer);
  page[0] = 0x4d; // 'M'
  page[1] = 0x5a; // 'Z'
  const lfanew = 0xf8;
  v.setUint32(0x3c, lfanew, true);
  new TextEncoder().encodeInto('This program cannot be run in DOS mode.', page.subarray(0x4e));
  v.setUint32(lfanew, 0x00004550, true); // 'PE\0\0'
  const coff = lfanew + 4;
  v.setUint16(coff, 0x8664, true); // Machine AMD64
  v.setUint16(coff + 2, sections.length, true); // NumberOfSections
  v.setUint32(coff + 4, timeDateStamp, true);
  v.setUint16(coff + 16, 0xf0, true); // SizeOfOptionalHeader
  v.setUint16(coff + 18, 0x22, true); // EXECUTABLE_IMAGE | LARGE_ADDRESS_AWARE
  const opt = coff + 20;
  v.setUint16(opt, 0x20b, true); // PE32+
  v.setUint32(opt + 4, dataRva - 0x1000, true); // SizeOfCode
  v.setUint32(opt + 16, entryRva, true); // AddressOfEntryPoint
  v.setUint32(opt + 20, 0x1000, true); // BaseOfCode
  v.setBigUint64(opt + 24, imageBase, true);
  v.setUint32(opt + 32, 0x1000, true); // SectionAlignment
  v.setUint32(opt + 36, 0x200, true); // FileAlignment
  v.setUint16(opt + 40, 10, true); // MajorOperatingSystemVersion
  v.setUint16(opt + 48, 10, true); // MajorSubsystemVersion
  v.setUint32(opt + 56, sizeOfImage, true);
  v.setUint32(opt + 60, 0x1000, true); // SizeOfHeaders
  v.setUint16(opt + 68, 1, true); // Subsystem NATIVE
  v.setUint32(opt + 108, 16, true); // NumberOfRvaAndSizes
  for (const d of directories) {
    v.setUint32(opt + 112 + d.index * 8, d.rva, true);
    v.setUint32(opt + 116 + d.index * 8, d.size, true);
  }
  const table = opt + 0xf0;
  sections.forEach((s, i) => {
    const at = table + i * 40;
    new TextEncoder().encodeInto(s.name, page.subarray(at, at + 8));
    v.setUint32(at + 8, s.size, true); // VirtualSize
    v.setUint32(at + 12, s.rva, true); // VirtualAddress
    v.setUint32(at + 16, s.size, true); // SizeOfRawData
    v.setUint32(at + 20, s.rva, true); // PointerToRawData: the mapped image is also the file
    v.setUint32(at + 36, s.characteristics, true);
  });
  return page;
}
