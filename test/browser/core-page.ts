/**
 * Runs INSIDE headless Chromium (bundled by test/core/browser-core.test.ts with esbuild, platform "browser").
 * Builds small dumps in memory, wraps them in Blobs → BlobSource, and uses the format core on them.
 * The result goes into <pre id="result"> as JSON, which the test reads back with --dump-dom.
 * Byte layouts are written literally here (COMMON.md: fixtures do not import the reader's tables).
 */
import { BlobSource, DumpError, MemorySink, MemorySource, detectFormat, hex, kernel } from '../../src/core/index.js';
import { MACHINE, sparsePfns } from '../fixtures/interop-machine.js';
import { machineDumpSpec } from '../fixtures/interop-machine-spec.js';

/** A 32-byte MINIDUMP_HEADER followed by an empty stream directory. */
function tinyMinidump(): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(64);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, 0x504d444d, true); // 'MDMP'
  dv.setUint32(4, 0xa793, true); // Version
  dv.setUint32(8, 0, true); // NumberOfStreams
  dv.setUint32(12, 32, true); // StreamDirectoryRva
  dv.setUint32(20, 0x6543210f, true); // TimeDateStamp
  return b;
}

/** The first page of a 64-bit kernel dump header: 'PAGE' filler, signature, DumpType 1. */
function tinyKernelHeader(): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(0x2000);
  const dv = new DataView(b.buffer);
  for (let o = 0; o < b.length; o += 4) dv.setUint32(o, 0x45474150, true);
  dv.setUint32(4, 0x34365544, true); // 'DU64'
  dv.setBigUint64(0x10, 0x1ad000n, true); // DirectoryTableBase
  dv.setUint32(0xf98, 1, true); // DumpType
  return b;
}

async function run(): Promise<unknown> {
  const out: Record<string, unknown> = { userAgent: navigator.userAgent };
  const md = tinyMinidump();
  const mdBlob = new BlobSource(new Blob([md]), 'tiny.dmp');
  out.minidumpBlob = { format: await detectFormat(mdBlob), size: mdBlob.size, name: mdBlob.name };
  out.minidumpMemory = await detectFormat(new MemorySource(md));
  const stamp = await mdBlob.read(20, 4);
  out.minidumpStamp = hex(new DataView(stamp.buffer, stamp.byteOffset, 4).getUint32(0, true));

  const kd = tinyKernelHeader();
  const kdBlob = new BlobSource(new Blob([kd.subarray(0, 0x1000), kd.subarray(0x1000)]), 'kernel.dmp');
  out.kernelBlob = await detectFormat(kdBlob);
  const dtb = await kdBlob.read(0x10, 8);
  out.kernelDtb = hex(new DataView(dtb.buffer, dtb.byteOffset, 8).getBigUint64(0, true));
  const across = await kdBlob.read(0xffc, 8); // spans the two Blob parts
  out.kernelAcross = Array.from(across, (x) => x.toString(16).padStart(2, '0')).join('');

  // The kernel writer and reader, entirely in the browser: a type 5 dump of the interop machine.
  const pfns = sparsePfns();
  const sink = new MemorySink();
  await kernel.writeKernelDump(sink, machineDumpSpec(5, pfns));
  const kdSource = new BlobSource(new Blob([sink.toBytes() as Uint8Array<ArrayBuffer>]), 'written.dmp');
  const written = await kernel.KernelDump.open(kdSource);
  const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  out.written = {
    format: await detectFormat(kdSource),
    dumpType: written.dumpType,
    pages: written.physical?.presentPages,
    kdbgVirtual: toHex(await written.virtual().read(MACHINE.kdbg, 0x20)),
    physical: toHex(await written.physical!.read(0x200ff8n, 16)),
  };

  try {
    await detectFormat(new BlobSource(new Blob([new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])]), 'junk.bin'));
    out.junk = 'accepted';
  } catch (e) {
    out.junk = e instanceof DumpError ? { code: e.code, message: e.message } : `not a DumpError: ${String(e)}`;
  }
  try {
    await mdBlob.read(60, 8); // past the end
    out.pastEnd = 'accepted';
  } catch (e) {
    out.pastEnd = e instanceof DumpError ? { code: e.code } : `not a DumpError: ${String(e)}`;
  }
  return out;
}

const target = document.getElementById('result')!;
run().then(
  (r) => {
    target.textContent = JSON.stringify(r);
  },
  (e: unknown) => {
    target.textContent = JSON.stringify({ error: String(e), stack: e instanceof Error ? e.stack : undefined });
  },
);
