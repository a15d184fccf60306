/**
 * The first page of a modeled kernel-mode image: a small but well-formed PE32+ header (MZ, PE,
 * AMD64 COFF header, optional header with ImageBase/SizeOfImage, .text and .data sections), so
 * tools that check a module base for `MZ` and parse SizeOfImage see what they expect.
 */
export function peHeaderPage(
  imageBase: bigint,
  sizeOfImage: number,
  timeDateStamp: number,
  entryRva: number,
  dataRva: number,
  /** Data directories to fill (IMAGE_DIRECTORY_ENTRY index → RVA and size). */
  directories: { index: number; rva: number; size: number }[] = [],
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
  v.setUint16(coff + 2, 2, true); // NumberOfSections
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
  const sections = opt + 0xf0;
  const sec = (i: number, name: string, rva: number, size: number, characteristics: number) => {
    const s = sections + i * 40;
    new TextEncoder().encodeInto(name, page.subarray(s, s + 8));
    v.setUint32(s + 8, size, true); // VirtualSize
    v.setUint32(s + 12, rva, true); // VirtualAddress
    v.setUint32(s + 16, size, true); // SizeOfRawData
    v.setUint32(s + 20, rva, true); // PointerToRawData
    v.setUint32(s + 36, characteristics, true);
  };
  sec(0, '.text', 0x1000, dataRva - 0x1000, 0x60000020);
  sec(1, '.data', dataRva, sizeOfImage - dataRva, 0xc8000040);
  return page;
}
