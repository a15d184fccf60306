import type { Command } from 'commander';
import { analyzeDump, formatAnalysis } from '../../../core/analysis/analyze.js';
import { Diagnostics } from '../../../core/diagnostics.js';
import { toJson } from '../../../core/hex.js';
import { FileSource } from '../../file-source.js';
import { openSymbolProvider, symbolSearchPath } from '../../symbols/index.js';

const collect = (value: string, previous: string[]) => [...previous, value];

export function register(program: Command): void {
  program
    .command('analyze')
    .description(
      "say why a dump's program or system died, as WinDbg's !analyze -v does: the crash reason or bug check with its parameters explained, " +
        'the faulting module, the crashing stack, a stable signature, and what the dump cannot answer',
    )
    .argument('<file>', 'a minidump (MDMP) or kernel dump (PAGEDUMP/PAGEDU64)')
    .option('--symbols <dir>', 'a directory of Breakpad symbol files (repeatable; DUMPKIT_SYMBOLS adds more, like _NT_SYMBOL_PATH)', collect, [] as string[])
    .option('--json', 'print one JSON object (addresses as "0x…" strings)')
    .action(async (file: string, opts: { symbols: string[]; json?: boolean }) => {
      const diagnostics = new Diagnostics();
      const dirs = symbolSearchPath(opts.symbols, process.env.DUMPKIT_SYMBOLS, diagnostics);
      const symbols = dirs.length ? openSymbolProvider(dirs, diagnostics) : undefined;
      const source = FileSource.open(file);
      try {
        const analysis = await analyzeDump(source, { diagnostics, ...(symbols ? { symbols } : {}) });
        process.stdout.write((opts.json ? toJson(analysis) : formatAnalysis(analysis)) + '\n');
      } finally {
        await symbols?.close();
        await source.close();
      }
    });
}
