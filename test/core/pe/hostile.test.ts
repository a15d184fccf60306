import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DumpError } from '../../../src/core/errors.js';
import { readExports } from '../../../src/core/pe/exports.js';
import { PeImage, parsePeHeaders } from '../../../src/core/pe/image.js';
import { readRuntimeFunctions } from '../../../src/core/pe/pdata.js';
import { PeImageProvider } from '../../../src/core/symbols/pe/pe-provider.js';
import { Diagnostics } from '../../../src/core/diagnostics.js';
import { bytesReader } from '../../fixtures/pe/map-image.js';

// Damaged and hostile PE headers, written with literal offsets (PE/COFF specification): clear
// DumpErrors naming the byte range, or diagnostics, in bounded time.
function header(opts: { lfanew?: number; sections?: number; magic?: number; sizeOfImage?: number; exportDir?: [number, number]; pdataDir?: [number, number] } = {}): Uint8Array {
  const img = new Uint8Array(0x4000);
  const v = new DataView(img.buffer);
  img[0] = 0x4d;
  img[1] = 0x5a;
  const nt = opts.lfanew ?? 0x80;
  v.setUint32(0x3c, nt, true);
  if (nt + 0x200 > img.length) return img;
  v.setUint32(nt, 0x4550, true);
  v.setUint16(nt + 4, 0x8664, true);
  v.setUint16(nt + 6, opts.sections ?? 1, true);
  v.setUint16(nt + 20, 0xf0, true);
  const opt = nt + 24;
  v.setUint16(opt, opts.magic ?? 0x20b, true);
  v.setUint32(opt + 56, opts.sizeOfImage ?? 0x4000, true);
  v.setUint32(opt + 108, 16, true);
  if (opts.exportDir) [v.setUint32(opt + 112, opts.exportDir[0], true), v.setUint32(opt + 116, opts.exportDir[1], true)];
  if (opts.pdataDir) [v.setUint32(opt + 112 + 24, opts.pdataDir[0], true), v.setUint32(opt + 116 + 24, opts.pdataDir[1], true)];
  const sec = opt + 0xf0;
  img.set(new TextEncoder().encode('.text'), sec);
  v.setUint32(sec + 8, 0x3000, true);
  v.setUint32(sec + 12, 0x1000, true);
  v.setUint32(sec + 36, 0x60000020, true);
  return img;
}
const code = (c: string) => (e: unknown) => e instanceof DumpError && e.code === c;

test('headers: no MZ, e_lfanew out of the page, no PE signature, bad magic, too many sections, huge SizeOfImage', () => {
  assert.throws(() => parsePeHeaders(new Uint8Array(0x1000)), code('BAD_SIGNATURE'));
  assert.throws(() => parsePeHeaders(header({ lfanew: 0xfff0 })), code('OUT_OF_BOUNDS'));
  const noPe = header();
  noPe[0x80] = 0;
  assert.throws(() => parsePeHeaders(noPe), code('BAD_SIGNATURE'));
  assert.throws(() => parsePeHeaders(header({ magic: 0x107 })), code('BAD_SIGNATURE'));
  assert.throws(() => parsePeHeaders(header({ sections: 5000 })), code('COUNT_TOO_LARGE'));
  assert.throws(() => parsePeHeaders(header({ sizeOfImage: 0xf0000000 })), code('COUNT_TOO_LARGE'));
  assert.equal(parsePeHeaders(header()).sections[0]!.name, '.text');
});

test('export directory: a count past the cap, arrays outside the image, arrays not in memory', async () => {
  const img = header({ exportDir: [0x2000, 0x100] });
  const v = new DataView(img.buffer);
  v.setUint32(0x2000 + 20, 0x7fffffff, true); // NumberOfFunctions
  const image = (await PeImage.open(bytesReader(0x10000n, img), 0x10000n))!;
  await assert.rejects(readExports(image), code('COUNT_TOO_LARGE'));
  v.setUint32(0x2000 + 20, 4, true);
  v.setUint32(0x2000 + 28, 0x3ff8, true); // AddressOfFunctions: 16 bytes from 0x3ff8 run past SizeOfImage
  const again = (await PeImage.open(bytesReader(0x10000n, img), 0x10000n))!;
  await assert.rejects(readExports(again), code('OUT_OF_BOUNDS'));
  // Arrays inside the image but their page is not in the dump: a diagnostic, no table.
  v.setUint32(0x2000 + 28, 0x3000, true);
  const missing = (await PeImage.open(bytesReader(0x10000n, img, (a) => a >= 0x13000n), 0x10000n))!;
  const diag = new Diagnostics();
  assert.equal(await readExports(missing, diag), undefined);
  assert.match(diag.list()[0]!, /not all in the dump/);
});

test('.pdata: a directory past the entry cap; the provider turns a corrupt image into status "corrupt"', async () => {
  const img = header({ pdataDir: [0x2000, 0x7ffffff0] });
  const image = (await PeImage.open(bytesReader(0x10000n, img), 0x10000n))!;
  await assert.rejects(readRuntimeFunctions(image), code('COUNT_TOO_LARGE'));
  const diag = new Diagnostics();
  const provider = new PeImageProvider({ memory: bytesReader(0x10000n, img), diagnostics: diag });
  const module = { base: 0x10000n, size: 0x4000n, codeFile: 'bad.sys', format: 'pe' as const };
  assert.equal(await provider.lookup(module, 0x11000n), undefined);
  assert.equal(provider.status(module), 'corrupt');
  assert.match(diag.list()[0]!, /bad\.sys: PE image not usable/);
  // Not a PE module: not tried.
  const elf = { ...module, base: 0x20000n, format: 'elf' as const };
  assert.equal(await provider.unwindInfo(elf, 0x20010n), undefined);
  assert.equal(provider.status(elf), 'not-tried');
});
