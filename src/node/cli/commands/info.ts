import type { Command } from 'commander';
import { detectFormat } from '../../../core/detect.js';
import { toJson } from '../../../core/hex.js';
import { formatKernelSummary, summarizeKernelDump } from '../../../core/kernel/summary.js';
import { formatMinidumpSummary, summarizeMinidump } from '../../../core/minidump/summary.js';
import { FileSource } from '../../file-source.js';

export function register(program: Command): void {
  program
    .command('info')
    .description('say what a dump holds, and what it can and cannot answer')
    .argument('<file>', 'a minidump (MDMP) or kernel dump (PAGEDUMP/PAGEDU64)')
    .option('--json', 'print one JSON object (addresses as "0x…" strings)')
    .action(async (file: string, opts: { json?: boolean }) => {
      const source = FileSource.open(file);
      try {
        const format = await detectFormat(source);
        const summary = format === 'minidump' ? await summarizeMinidump(source) : await summarizeKernelDump(source);
        const text = opts.json ? toJson(summary) : format === 'minidump' ? formatMinidumpSummary(summary) : formatKernelSummary(summary);
        process.stdout.write(text + '\n');
      } finally {
        await source.close();
      }
    });
}
