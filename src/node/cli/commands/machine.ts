import type { Command } from 'commander';
import { toJson } from '../../../core/hex.js';
import { Machine } from '../../../core/machine/machine.js';
import { PROFILE_NAMES, type ProfileName } from '../../../core/machine/profiles.js';
import { formatBytes } from '../../../core/varieties/plan.js';
import { variety, type Variety } from '../../../core/varieties/rules.js';
import { DumpError } from '../../../core/errors.js';
import { parseIntOption, parseSize, SYNC_OPTION_HELP, writeFileSafely } from '../../varieties/cli-util.js';
import { fromMachine, writeFromSource } from '../../varieties/variety-source.js';

interface Opts {
  ram: string;
  profile: string;
  vms?: string;
  seed: string;
  dumpType: string;
  output: string;
  overwrite?: boolean;
  sync?: boolean;
  json?: boolean;
}

/** The variety a `--dump-type` writes for a modeled machine. */
export function machineVariety(dumpType: number): Variety {
  if (dumpType === 5) return variety('complete');
  if (dumpType === 1) return { ...variety('complete'), dumpType: 1 };
  if (dumpType === 6) return variety('kernel');
  if (dumpType === 4) return variety('small');
  throw new DumpError('INVALID_ARGUMENT', `--dump-type must be 1, 4, 5 or 6 (got ${dumpType})`);
}

export function register(program: Command): void {
  program
    .command('machine')
    .description('write a dump of a modeled x64 Windows machine (Complete by default), its page classes inside')
    .requiredOption('--ram <size>', 'physical memory, e.g. 4G, 512M (256M..256G)')
    .option('--profile <name>', `machine kind: ${PROFILE_NAMES.join(', ')}`, 'workstation')
    .option('--vms <n>', 'running virtual machines (default: 4 on hyperv-host, else 0)')
    .option('--seed <n>', 'model seed: same seed, same bytes', '1')
    .option('--dump-type <t>', '5 complete (bitmap, default), 1 complete (runs), 6 kernel, 4 small', '5')
    .requiredOption('-o, --output <file>', 'dump file to write')
    .option('--overwrite', 'replace an existing file')
    .option('--sync', SYNC_OPTION_HELP)
    .option('--json', 'print what was written as JSON')
    .action(async (o: Opts) => {
      const dumpType = parseIntOption(o.dumpType, '--dump-type', 1, 6);
      const v = machineVariety(dumpType);
      const m = new Machine({
        ramBytes: parseSize(o.ram, '--ram'),
        profile: o.profile as ProfileName,
        vms: o.vms === undefined ? undefined : parseIntOption(o.vms, '--vms', 0, 64),
        seed: parseIntOption(o.seed, '--seed', 0, 0xffffffff),
      });
      const src = fromMachine(m, `${m.profile.name}:${m.ramPages * 4096}`);
      const r = await writeFileSafely(o.output, !!o.overwrite, (sink) =>
        writeFromSource(src, v, sink, { comment: `dumpkit modeled ${m.profile.name} machine, seed ${m.seed}` }),
        !!o.sync,
      );
      const out = { file: o.output, profile: m.profile.name, ramBytes: m.ramPages * 4096, seed: m.seed, vms: m.vms, dumpType, variety: v.name, bytes: r.bytes, pages: r.pages };
      process.stdout.write(o.json ? toJson(out) + '\n' : `${o.output}: ${v.name} dump (DumpType ${dumpType}) of a ${m.profile.name} with ${formatBytes(out.ramBytes)}, ${r.pages} pages, ${formatBytes(r.bytes)}\n`);
    });
}
