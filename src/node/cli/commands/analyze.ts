import type { Command } from 'commander';
import { analyzeDump, formatAnalysis } from '../../../core/analysis/analyze.js';
import { toJson } from '../../../core/hex.js';
import { FileSource } from '../../file-source.js';

const collect = (value: string, previous: string[]) => [...previous, value];

export function register(program: Command): void {
  program
    .command('analyze')
    .description("say why a dump's program or system died, as WinDbg's !analyze -v does: the crash reason or bug check with its parameters explained, the faulting module, the crashing stack, a stable signature, and what the dump cannot answer")
    .argument('<file>', 'a minidump (MDMP) or kernel dump (PAGEDUMP/PAGEDU64)')
    .option('--symbols <dir>', 'a directory of symbol files (repeatable)', collect, [] as string[])
    .option('--json', 'print one JSON object (addresses as "0x…" strings)')
    .action(async (file: string, opts: { symbols: string[]; json?: boolean }) => {
      const source = FileSource.open(file);
      try {
        const analysis = await analyzeDump(source, {});
        if (opts.symbols.length) analysis.limits.push(`--symbols ${opts.symbols.join(' ')}: symbol files are not read by this build yet`);
        process.stdout.write((opts.json ? toJson(analysis) : formatAnalysis(analysis)) + '\n');
      } finally {
        await source.close();
      }
    });
}
