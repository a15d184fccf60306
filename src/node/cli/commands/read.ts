import type { Command } from 'commander';
import { detectFormat } from '../../../core/detect.js';
import { DumpError } from '../../../core/errors.js';
import { hexDump } from '../../../core/hex.js';
import { NUMBER_FORMS, parseAddress, parseInteger } from '../../../core/numbers.js';
import { KernelDump } from '../../../core/kernel/kernel-dump.js';
import { FileSource } from '../../file-source.js';

interface ReadOptions {
  pa?: string;
  va?: string;
  dtb?: string;
  length: string;
  raw?: boolean;
  ignoreMissingPages?: boolean;
}

export function register(program: Command): void {
  program
    .command('read')
    .description('read memory from a kernel dump by physical or virtual address (hex dump)')
    .argument('<file>', 'a kernel dump (PAGEDUMP/PAGEDU64)')
    .addHelpText('after', `\nNumbers: ${NUMBER_FORMS}.`)
    .option('--pa <addr>', 'physical address')
    .option('--va <addr>', 'virtual address (kernel address space unless --dtb)')
    .option('--dtb <addr>', 'page table base for --va (e.g. a process DirectoryTableBase)')
    .option('--length <n>', 'bytes to read', '256')
    .option('--raw', 'write the bytes themselves to stdout')
    .option('--ignore-missing-pages', 'read pages missing from the dump as zeros')
    .action(async (file: string, opts: ReadOptions) => {
      if ((opts.pa === undefined) === (opts.va === undefined)) throw new DumpError('INVALID_ARGUMENT', 'give exactly one of --pa or --va');
      if (opts.dtb !== undefined && opts.va === undefined) throw new DumpError('INVALID_ARGUMENT', '--dtb goes with --va');
      const length = parseInteger(opts.length, '--length (bytes)', 1, 64 * 1024 * 1024);
      const at = opts.pa !== undefined ? parseAddress(opts.pa, '--pa') : parseAddress(opts.va!, '--va');
      const dtb = opts.dtb !== undefined ? parseAddress(opts.dtb, '--dtb') : undefined;
      const source = FileSource.open(file);
      try {
        const format = await detectFormat(source);
        if (format === 'minidump') throw new DumpError('UNSUPPORTED', `${file} is a minidump; dumpkit read takes kernel dumps`);
        const dump = await KernelDump.open(source);
        const ignoreMissing = !!opts.ignoreMissingPages;
        const bytes =
          opts.pa !== undefined
            ? await dump.requirePhysical().read(at, length, { ignoreMissing })
            : await dump.readVirtual(at, length, { ignoreMissing, dtb });
        if (opts.raw) process.stdout.write(bytes);
        else process.stdout.write(hexDump(bytes, at) + '\n');
      } finally {
        await source.close();
      }
    });
}
