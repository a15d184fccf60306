import type { Command } from 'commander';
import { analyzeDump, formatAnalysis } from '../../../core/analysis/analyze.js';
import { Diagnostics } from '../../../core/diagnostics.js';
import { toJson } from '../../../core/hex.js';
import { FileSource } from '../../file-source.js';
import { NO_ELF_OPTION_HELP, openLocalSymbols, SYMBOLS_OPTION_HELP } from '../../symbols/index.js';

const collect = (value: string, previous: string[]) => [...previous, value];

export function register(program: Command): void {
  program
    .command('analyze')
    .description(
      "say why a dump's program or system died, as WinDbg's !analyze -v does: the crash reason or bug check with its parameters explained, " +
        'the faulting module, the crashing stack, a stable signature, and what the dump cannot answer',
    )
    .argument('<file>', 'a minidump (MDMP) or kernel dump (PAGEDUMP/PAGEDU64)')
    .option('--symbols <dir>', SYMBOLS_OPTION_HELP, collect, [] as string[])
    .option('--no-elf', NO_ELF_OPTION_HELP)
    .option('--json', 'print one JSON object (addresses as "0x…" strings)')
    .action(async (file: string, opts: { symbols: string[]; elf?: boolean; json?: boolean }) => {
      const diagnostics = new Diagnostics();
      const symbols = openLocalSymbols(opts, diagnostics);
      const source = FileSource.open(file);
      try {
        const analysis = await analyzeDump(source, { diagnostics, ...(symbols.provider ? { symbols: symbols.provider } : {}) });
        process.stdout.write((opts.json ? toJson(analysis) : formatAnalysis(analysis)) + '\n');
      } finally {
        await symbols.close();
        await source.close();
      }
    });
}
