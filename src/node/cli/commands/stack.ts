import type { Command } from 'commander';
import { detectFormat } from '../../../core/detect.js';
import { Diagnostics } from '../../../core/diagnostics.js';
import { DumpError } from '../../../core/errors.js';
import { Minidump } from '../../../core/minidump/minidump.js';
import { processMinidump, type ProcessOptions } from '../../../core/processor/process.js';
import { processStateToJson } from '../../../core/processor/json.js';
import { processStateToMachineText, processStateToText } from '../../../core/processor/text.js';
import { FileSource } from '../../file-source.js';
import { SymbolChain } from '../../../core/symbols/chain.js';
import { ElfSymbolProvider } from '../../../core/symbols/elf/elf-provider.js';
import { fileSystemOpener, openSymbolProvider, symbolSearchPath } from '../../symbols/index.js';

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

/**
 * Kernel dumps (PAGEDUMP/PAGEDU64): the hook where their threads (from the kernel's process and
 * thread lists) will be walked; refused until then.
 */
async function kernelStackText(_source: FileSource, file: string, _opts: StackOptions): Promise<string> {
  throw new DumpError('UNSUPPORTED', `${file} is a kernel dump: dumpkit stack walks minidumps only for now`);
}

/** Walks the selected threads and renders them in the requested form. */
async function stackText(md: Minidump, file: string, options: ProcessOptions, opts: StackOptions): Promise<string> {
  const state = await processMinidump(md, options);
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
    .description("walk and symbolize a minidump's thread stacks (the crashing thread, or thread 0, by default)")
    .argument('<file>', 'a minidump (MDMP)')
    .option('--thread <id>', 'walk this thread id (decimal or 0x…); repeatable', collect)
    .option('--all', 'walk every thread')
    .option('--symbols <dir>', 'a Breakpad symbol directory (<debug file>/<debug id>/<name>.sym); repeatable; then DUMPKIT_SYMBOLS (`;`-separated, srv*DIR*URL keeps DIR)', collect)
    .option('--json', "print rust-minidump's `minidump-stackwalk --json` shape")
    .option('-m, --machine-readable', "print Breakpad's `minidump_stackwalk -m` form")
    .option('--no-elf', "do not read ELF images and debug files on this machine (module paths, /usr/lib/debug, <dir>/.build-id)")
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
        if (format !== 'minidump') {
          process.stdout.write(await kernelStackText(source, file, opts));
          return;
        }
        const diagnostics = new Diagnostics();
        const md = await Minidump.open(source, { diagnostics });
        const dirs = symbolSearchPath(opts.symbols ?? [], process.env.DUMPKIT_SYMBOLS, diagnostics);
        const breakpad = dirs.length ? openSymbolProvider(dirs, diagnostics) : undefined;
        // Then the ELF files on this machine: debug files by build id (the same directories, then
        // /usr/lib/debug) and each module's own file when its build id matches.
        const elf = opts.elf === false ? undefined : new ElfSymbolProvider(fileSystemOpener, { debugDirectories: dirs, diagnostics });
        const providers = [breakpad, elf].filter((p): p is NonNullable<typeof p> => p !== undefined);
        const symbols = providers.length > 1 ? new SymbolChain(providers) : providers[0];
        try {
          process.stdout.write(await stackText(md, file, { threads, diagnostics, ...(symbols ? { symbols } : {}), ...(maxFrames !== undefined ? { maxFrames } : {}) }, opts));
        } finally {
          await breakpad?.close();
          await elf?.close();
        }
      } finally {
        await source.close();
      }
    });
}
