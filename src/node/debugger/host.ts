/** The Node side of a debugger session: the disassembler, safe file writing, kernel `.dump`. */
import { formatBytes } from '../../core/varieties/plan.js';
import { parseVariety, variety } from '../../core/varieties/rules.js';
import { Diagnostics } from '../../core/diagnostics.js';
import { DumpError } from '../../core/errors.js';
import { capstoneDisassembler, type CapstoneModule } from '../../core/debugger/disassembler.js';
import type { DebuggerHost } from '../../core/debugger/types.js';
import { writeFileSafely } from '../varieties/cli-util.js';
import { openVarietySource, writeFromSource } from '../varieties/variety-source.js';

/** Loads Capstone's WASM build (@alexaltea/capstone-js) once. */
export async function loadDisassembler(): Promise<ReturnType<typeof capstoneDisassembler>> {
  const mod = (await import('@alexaltea/capstone-js')) as unknown as { default: () => Promise<CapstoneModule> };
  return capstoneDisassembler(await mod.default());
}

/** FileSink's refusal says how to overwrite in the CLI's words; in the shell it is `.dump /o`. */
async function inDbgWords<T>(file: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof DumpError && e.code === 'REFUSED' && /pass --overwrite/.test(e.message)) throw new DumpError('REFUSED', `${file} exists; .dump /o replaces it`);
    throw e;
  }
}

/** A host for a dump at `path`: files go through FileSink (temporary name, 0600, rename). */
export function nodeHost(path: string): DebuggerHost {
  return {
    disassembler: loadDisassembler,
    writeFile: (file, overwrite, write) => inDbgWords(file, () => writeFileSafely(file, overwrite, write)),
    async deriveKernelDump(name, file, overwrite) {
      const target = variety(parseVariety(name));
      const diag = new Diagnostics();
      const src = await openVarietySource(path, diag);
      try {
        const r = await inDbgWords(file, () => writeFileSafely(file, overwrite, (sink) => writeFromSource(src, target, sink)));
        return `${file}: ${src.variety.name} → ${target.name} (DumpType ${target.dumpType}), ${r.pages} pages, ${formatBytes(r.bytes)}`;
      } finally {
        await src.close();
      }
    },
  };
}
