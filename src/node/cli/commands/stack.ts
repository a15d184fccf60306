import type { Command } from 'commander';
import { detectFormat } from '../../../core/detect.js';
import { Diagnostics } from '../../../core/diagnostics.js';
import { DumpError } from '../../../core/errors.js';
import { KernelDump } from '../../../core/kernel/kernel-dump.js';
import { Minidump } from '../../../core/minidump/minidump.js';
import { processKernelDump } from '../../../core/processor/kernel-process.js';
import { processMinidump, type ProcessOptions } from '../../../core/processor/process.js';
import { processStateToJson } from '../../../core/processor/json.js';
import { processStateToMachineText, processStateToText } from '../../../core/processor/text.js';
import { FileSource } from '../../file-source.js';
import { NO_ELF_OPTION_HELP, openLocalSymbols, SYMBOLS_OPTION_HELP } from '../../symbols/index.js';

interface StackOptions {
  thread?: string[];
  all?: boolean;
  symbols?: string[];
  json?: boolean;
  machineReadable?: boolean;
  maxFrames?: string;
  elf?: boolean;
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

function threadSelection(opts: StackOptions): ProcessOptions['threads'] {
  if (opts.all && opts.thread?.length) throw new DumpError('INVALID_ARGUMENT', '--all and --thread exclude each other');
  if (opts.all) return 'all';
  if (opts.thread?.length) {
    return opts.thread.map((t) => {
      const n = /^0x[0-9a-f]+$/i.test(t) ? Number.parseInt(t, 16) : /^[0-9]+$/.test(t) ? Number(t) : NaN;
      if (!Number.isSafeInteger(n)) throw new DumpError('INVALID_ARGUMENT', `--thread ${t}: not a thread id`);
      return n;
    });
  }
  return 'crashing';
}

/** Walks the selected threads (of a minidump, or of a kernel dump's processes) and renders them in the requested form. */
async function stackText(dump: Minidump | KernelDump, file: string, options: ProcessOptions, opts: StackOptions): Promise<string> {
  const state = dump instanceof KernelDump ? await processKernelDump(dump, options) : await processMinidump(dump, options);
  const threads = options.threads;
  if (Array.isArray(threads)) {
    const missing = threads.filter((id) => !state.threads.some((t) => t.id === id));
    if (missing.length) throw new DumpError('INVALID_ARGUMENT', `no thread with id ${missing.join(', ')} in ${file}`);
  }
  if (opts.json) return JSON.stringify(processStateToJson(state), null, 2) + '\n';
  if (opts.machineReadable) return processStateToMachineText(state);
  let text = processStateToText(state);
  if (state.diagnostics.length) text += `\nDiagnostics (${state.diagnostics.length}):\n${state.diagnostics.map((d) => `  ${d}\n`).join('')}`;
  return text;
}

export function register(program: Command): void {
  program
    .command('stack')
    .description("walk and symbolize a dump's thread stacks (the crashing thread, or thread 0, by default); kernel dumps: every thread of every process with --all")
    .argument('<file>', 'a minidump (MDMP) or an x64 kernel dump (PAGEDU64)')
    .option('--thread <id>', 'walk this thread id (decimal or 0x…); repeatable', collect)
    .option('--all', 'walk every thread')
    .option('--symbols <dir>', SYMBOLS_OPTION_HELP, collect)
    .option('--json', "print rust-minidump's `minidump-stackwalk --json` shape")
    .option('-m, --machine-readable', "print Breakpad's `minidump_stackwalk -m` form")
    .option('--no-elf', NO_ELF_OPTION_HELP)
    .option('--max-frames <n>', 'frames per thread (default 1024)')
    .action(async (file: string, opts: StackOptions) => {
      if (opts.json && opts.machineReadable) throw new DumpError('INVALID_ARGUMENT', '--json and --machine-readable exclude each other');
      const threads = threadSelection(opts);
      let maxFrames: number | undefined;
      if (opts.maxFrames !== undefined) {
        maxFrames = Number(opts.maxFrames);
        if (!Number.isSafeInteger(maxFrames) || maxFrames < 1) throw new DumpError('INVALID_ARGUMENT', `--max-frames ${opts.maxFrames}: not a positive integer`);
      }
      const source = FileSource.open(file);
      try {
        const format = await detectFormat(source);
        const diagnostics = new Diagnostics();
        // Kernel dumps: the crashing thread and the threads of the listed processes; symbols also from the images in memory.
        const md = format === 'minidump' ? await Minidump.open(source, { diagnostics }) : await KernelDump.open(source, diagnostics);
        const symbols = openLocalSymbols(opts, diagnostics);
        try {
          const options = { threads, diagnostics, ...(symbols.provider ? { symbols: symbols.provider } : {}), ...(maxFrames !== undefined ? { maxFrames } : {}) };
          process.stdout.write(await stackText(md, file, options, opts));
        } finally {
          await symbols.close();
        }
      } finally {
        await source.close();
      }
    });
}
