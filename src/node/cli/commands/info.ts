import type { Command } from 'commander';
import { detectInputFormat } from '../../../core/detect.js';
import { toJson } from '../../../core/hex.js';
import { FileSource } from '../../file-source.js';

export function register(program: Command): void {
  program
    .command('info')
    .description('say what a dump holds, and what it can and cannot answer')
    .argument('<file>', 'a minidump (MDMP), kernel dump (PAGEDUMP/PAGEDU64) or ELF core (also zstd, lz4 or xz-compressed, as systemd-coredump keeps them)')
    .option('--json', 'print one JSON object (addresses as "0x…" strings)')
    .action(async (file: string, opts: { json?: boolean }) => {
      const source = FileSource.open(file);
      const format = <S>(summary: S, asText: (s: S) => string): string => (opts.json ? toJson(summary) : asText(summary));
      try {
        // only the reader this file needs is loaded (its own chunk in the CLI bundle)
        let text: string;
        const kind = await detectInputFormat(source);
        if (kind === 'minidump') {
          const m = await import('../../../core/minidump/summary.js');
          text = format(await m.summarizeMinidump(source), m.formatMinidumpSummary);
        } else if (kind === 'elfcore' || kind === 'zstd' || kind === 'lz4' || kind === 'xz') {
          const c = await import('../../../core/elfcore/summary.js');
          const { withElfCore } = await import('../../elfcore/open-core.js');
          text = await withElfCore(file, kind, async (core) => format({ ...(kind === 'elfcore' ? {} : { compression: kind }), ...(await c.summarizeElfCore(core)) }, c.formatElfCoreSummary));
        } else {
          const k = await import('../../../core/kernel/summary.js');
          text = format(await k.summarizeKernelDump(source), k.formatKernelSummary);
        }
        process.stdout.write(text + '\n');
      } finally {
        await source.close();
      }
    });
}
