import type { Command } from 'commander';
import { DumpError } from '../../../core/errors.js';
import { toJson } from '../../../core/hex.js';
import { writeLiveDump } from '../../varieties/live-dump.js';

interface Opts {
  type: string;
  hypervisorPages: string;
  userPages?: boolean;
  abortOnMemoryPressure: boolean;
  root: string;
  user: string;
}

export function register(program: Command): void {
  program
    .command('live')
    .description('write a Task Manager live kernel dump of a modeled machine (bug check 0x161, no crash)')
    .argument('<machine>', 'a modeled machine: the dump `dumpkit machine` wrote, or a spec like workstation:8G')
    .option('--type <type>', 'full or kernel-stacks', 'full')
    .option('--hypervisor-pages <which>', 'none, essential or all', 'none')
    .option('--user-pages', 'capture user pages')
    .option('--no-abort-on-memory-pressure', 'write a partial dump (kernel pages first) when free memory cannot hold the copy')
    .option('--root <dir>', 'directory standing for drive C:', '.')
    .option('--user <name>', 'the Windows user whose %LocalAppData% receives the dump', 'user')
    .action(async (machine: string, o: Opts) => {
      if (o.type !== 'full' && o.type !== 'kernel-stacks') throw new DumpError('INVALID_ARGUMENT', `--type must be full or kernel-stacks (got ${o.type})`);
      if (o.hypervisorPages !== 'none' && o.hypervisorPages !== 'essential' && o.hypervisorPages !== 'all') {
        throw new DumpError('INVALID_ARGUMENT', `--hypervisor-pages must be none, essential or all (got ${o.hypervisorPages})`);
      }
      const report = await writeLiveDump(machine, { ...o, type: o.type, hypervisorPages: o.hypervisorPages, userPages: !!o.userPages });
      process.stdout.write(toJson(report) + '\n');
    });
}
