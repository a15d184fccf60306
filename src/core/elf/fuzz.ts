/**
 * One entry for the fuzz harness: parses arbitrary bytes as an ELF file the way dumpkit uses one
 * (headers, build id, symbols, CFI with rules at a few addresses of every FDE, line tables). Any
 * exception other than a DumpError is a bug; the harness reports it.
 */
import { MemorySource } from '../bytes/memory-source.js';
import { DumpError } from '../errors.js';
import { breakpadRules, cfaRowAt } from './cfi-rules.js';
import { LineTable } from './dwarf-line.js';
import { CfiSection } from './eh-frame.js';
import { ElfFile } from './elf-file.js';
import { ElfSymbolTable } from './symtab.js';

/** FDEs examined at most per section in one run (keeps a run short on a large input). */
const FUZZ_MAX_FDES = 2000;

export interface ElfFuzzSummary {
  /** DumpError codes met (an ELF that fails early has one). */
  errors: string[];
  sections: number;
  symbols: number;
  fdes: number;
  lineRows: number;
}

/**
 * `options.throwOnOpen`: a DumpError from the ELF header itself is thrown (the harness counts it as
 * a refusal of the whole input) instead of being recorded in `errors`.
 */
export async function parseElfForFuzz(bytes: Uint8Array, options: { throwOnOpen?: boolean } = {}): Promise<ElfFuzzSummary> {
  const summary: ElfFuzzSummary = { errors: [], sections: 0, symbols: 0, fdes: 0, lineRows: 0 };
  const step = async (f: () => Promise<void> | void): Promise<void> => {
    try {
      await f();
    } catch (e) {
      if (!(e instanceof DumpError)) throw e;
      summary.errors.push(e.code);
    }
  };
  let elf: ElfFile | undefined;
  if (options.throwOnOpen) elf = await ElfFile.open(new MemorySource(bytes, 'fuzz input'));
  else {
    await step(async () => {
      elf = await ElfFile.open(new MemorySource(bytes, 'fuzz input'));
    });
  }
  if (!elf) return summary;
  const file = elf;
  summary.sections = file.sections.length;
  await step(async () => void (await file.buildId()));
  await step(async () => {
    const t = await ElfSymbolTable.read(file);
    summary.symbols = t.symbols.length;
    for (const s of t.symbols.slice(0, 100)) t.lookup(s.address + s.size / 2n);
  });
  for (const kind of ['eh_frame', 'debug_frame'] as const) {
    await step(async () => {
      const cfi = await CfiSection.fromElf(file, kind);
      if (!cfi) return;
      let n = 0;
      for (const fde of cfi.fdes()) {
        if (++n > FUZZ_MAX_FDES) break;
        summary.fdes++;
        for (const pc of [fde.pcBegin, fde.pcBegin + (fde.pcEnd - fde.pcBegin) / 2n]) {
          await step(() => {
            cfi.findFde(pc);
            breakpadRules(cfaRowAt(fde, pc, { sectionAddr: cfi.sectionAddr, ...cfi.bases }), fde.cie, file.machine);
          });
        }
      }
    });
  }
  await step(async () => {
    const lines = await LineTable.fromElf(file);
    summary.lineRows = lines?.rowCount ?? 0;
    lines?.lookup(file.entry);
  });
  return summary;
}
