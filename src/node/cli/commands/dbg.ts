import type { Command } from 'commander';
import { DebuggerEngine } from '../../../core/debugger/engine.js';
import { Diagnostics } from '../../../core/diagnostics.js';
import { FileSource } from '../../file-source.js';
import { NO_ELF_OPTION_HELP, openLocalSymbols, SYMBOLS_OPTION_HELP } from '../../symbols/index.js';
import { nodeHost } from '../../debugger/host.js';
import { runBatch, runInteractive } from '../../debugger/shell.js';

interface DbgOptions {
  command?: string;
  symbols: string[];
  elf?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function register(program: Command): void {
  program
    .command('dbg')
    .description('a debugger shell over a dump in WinDbg\'s vocabulary (lm, ~, r, dq, u, s, !process, .process, !pte, .dump …)')
    .argument('<file>', 'a minidump (MDMP) or a kernel dump (PAGEDUMP/PAGEDU64)')
    .option('-c, --command <commands>', 'run these commands (separated by ;) and exit, like cdb -z FILE -c "…;q"')
    .option('--symbols <dir>', SYMBOLS_OPTION_HELP, collect, [] as string[])
    .option('--no-elf', NO_ELF_OPTION_HELP)
    .addHelpText('after', '\nInside the shell: .help lists the commands, .help NAME explains one, q quits.\nHistory is kept in $XDG_STATE_HOME/dumpkit/dbg_history (~/.local/state/…).')
    .action(async (file: string, o: DbgOptions) => {
      const diagnostics = new Diagnostics();
      const symbols = openLocalSymbols(o, diagnostics);
      const source = FileSource.open(file);
      try {
        const engine = await DebuggerEngine.open(source, { ...nodeHost(file), ...(symbols.provider ? { symbols: symbols.provider } : {}) });
        process.stdout.write((await engine.banner()) + '\n\n');
        if (o.command !== undefined) {
          const failed = await runBatch(engine, o.command, process.stdout);
          if (failed > 0) process.exitCode = 1;
        } else {
          await runInteractive(engine, { input: process.stdin, output: process.stdout, terminal: !!process.stdin.isTTY });
        }
      } finally {
        await symbols.close();
        await source.close();
      }
    });
}
