/**
 * One summary of a minidump, computed the same way in Node and inside Chromium, so the browser test
 * can check that the format core gives identical results in both.
 */
import { BlobSource, hex, minidump, type ByteSource } from '../../src/core/index.js';

export interface MinidumpSummary {
  threads: number[];
  modules: string[];
  firstModuleBase?: string;
  exception?: { threadId: number; code: string; address: string };
  memoryRanges: number;
  firstRangeBytes?: string;
  diagnostics: number;
}

export async function summarize(source: ByteSource): Promise<MinidumpSummary> {
  const md = await minidump.Minidump.open(source);
  const threads = (await md.threads()).map((t) => t.threadId);
  const modules = await md.modules();
  const ex = await md.exception();
  const ranges = await md.memoryRanges();
  let firstRangeBytes: string | undefined;
  if (ranges[0]) {
    const b = await md.readMemory(ranges[0].start, Math.min(16, ranges[0].size));
    firstRangeBytes = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }
  return {
    threads,
    modules: modules.map((m) => m.name),
    firstModuleBase: modules[0] ? hex(modules[0].baseOfImage) : undefined,
    exception: ex ? { threadId: ex.threadId, code: hex(ex.exceptionCode), address: hex(ex.exceptionAddress) } : undefined,
    memoryRanges: ranges.length,
    firstRangeBytes,
    diagnostics: md.diagnostics.items.length,
  };
}

/** Summaries of base64-encoded files, read through Blob → BlobSource (the browser side). */
export async function summarizeBlobs(files: Record<string, string>): Promise<Record<string, MinidumpSummary | { error: string }>> {
  const out: Record<string, MinidumpSummary | { error: string }> = {};
  for (const [name, b64] of Object.entries(files)) {
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    try {
      out[name] = await summarize(new BlobSource(new Blob([bytes]), name));
    } catch (e) {
      out[name] = { error: String(e) };
    }
  }
  return out;
}
