import { basename, dirname, extname, join } from 'node:path';
import type { Command } from 'commander';
import { detectInputFormat } from '../../../core/detect.js';
import { Diagnostics } from '../../../core/diagnostics.js';
import { DumpError } from '../../../core/errors.js';
import { toJson } from '../../../core/hex.js';
import { convertMinidump } from '../../../core/minidump/convert.js';
import { parseVariety as parseMinidumpVariety } from '../../../core/minidump/varieties.js';
import { Minidump } from '../../../core/minidump/minidump.js';
import { formatBytes } from '../../../core/varieties/plan.js';
import { checkDerivable, parseVariety, variety, type LiveOptions } from '../../../core/varieties/rules.js';
import { convertCoreFile } from '../../elfcore/convert-core.js';
import { isCompressed, withElfCore } from '../../elfcore/open-core.js';
import { FileSource } from '../../file-source.js';
import { SYNC_OPTION_HELP, writeFileSafely } from '../../varieties/cli-util.js';
import { openVarietySource, writeFromSource } from '../../varieties/variety-source.js';

interface Opts {
  to: string;
  output?: string;
  overwrite?: boolean;
  sync?: boolean;
  json?: boolean;
  hypervisorPages: string;
  userPages?: boolean;
}

const MINIDUMP_KINDS = ['full', 'miniplus', 'mini'];

export function register(program: Command): void {
  program
    .command('convert')
    .description('derive a smaller dump: complete → active → kernel → small (kernel dumps); full → miniplus → mini (minidumps); a minidump of an ELF core')
    .argument('<in>', 'a kernel dump (PAGEDU64), a minidump (MDMP) or an ELF core (plain, or .zst/.lz4/.xz from systemd-coredump)')
    .requiredOption('--to <variety>', 'active, kernel, automatic, small, live-full, live-kernel-stacks (kernel); miniplus, mini (minidumps); full, miniplus, mini (ELF cores)')
    .option('-o, --output <file>', 'output file (default: <in>-<variety>.dmp beside the input)')
    .option('--overwrite', 'replace an existing output file')
    .option('--sync', SYNC_OPTION_HELP)
    .option('--hypervisor-pages <which>', 'for --to live-full: none, essential or all', 'none')
    .option('--user-pages', 'for --to live-full: keep user pages')
    .option('--json', 'print the result as JSON')
    .action(async (input: string, o: Opts) => {
      const out = o.output ?? join(dirname(input), `${basename(input, extname(input))}-${o.to}.dmp`);
      const probe = FileSource.open(input);
      let format;
      try {
        format = await detectInputFormat(probe);
      } finally {
        await probe.close();
      }
      if (format === 'elfcore' || isCompressed(format)) {
        const to = parseMinidumpVariety(o.to);
        if (!to) throw new DumpError('INVALID_ARGUMENT', `an ELF core converts to a minidump: --to full, miniplus or mini (got ${o.to})`);
        const result = await withElfCore(input, format, (source) => convertCoreFile(source, input, out, to, { overwrite: !!o.overwrite, sync: !!o.sync }));
        process.stdout.write(
          o.json
            ? toJson({ from: input, to: o.to, file: out, ...result }) + '\n'
            : `${out}: ${o.to} minidump of an ${result.arch} core, ${formatBytes(result.size)} (${result.threads} threads, ${result.modules} modules, ${result.memoryRanges} memory ranges, ${formatBytes(result.memoryBytes)} of memory)\n`,
        );
        return;
      }
      if (format === 'minidump') {
        if (!MINIDUMP_KINDS.includes(o.to)) throw new DumpError('INVALID_ARGUMENT', `a minidump converts to ${MINIDUMP_KINDS.slice(1).join(' or ')}, not ${o.to}`);
        const to = o.to as 'miniplus' | 'mini';
        const source = FileSource.open(input);
        const diag = new Diagnostics();
        let result;
        try {
          const dump = await Minidump.open(source);
          result = await writeFileSafely(out, !!o.overwrite, (sink) => convertMinidump(dump, sink, to, diag), !!o.sync);
        } finally {
          await source.close();
        }
        process.stdout.write(
          o.json
            ? toJson({ from: input, to: o.to, file: out, ...result, diagnostics: diag.list() }) + '\n'
            : `${out}: ${o.to} minidump, ${formatBytes(result.size)} (${result.memoryRanges} memory ranges, ${formatBytes(result.memoryBytes)} of memory)\n`,
        );
        return;
      }
      if (o.hypervisorPages !== 'none' && o.hypervisorPages !== 'essential' && o.hypervisorPages !== 'all') {
        throw new DumpError('INVALID_ARGUMENT', `--hypervisor-pages must be none, essential or all (got ${o.hypervisorPages})`);
      }
      const live: LiveOptions = { hypervisorPages: o.hypervisorPages, userPages: !!o.userPages };
      const target = variety(parseVariety(o.to), live);
      const diag = new Diagnostics();
      const src = await openVarietySource(input, diag);
      try {
        checkDerivable(src.variety, target);
        const r = await writeFileSafely(out, !!o.overwrite, (sink) => writeFromSource(src, target, sink), !!o.sync);
        const result = {
          file: out,
          from: src.variety.name,
          to: target.name,
          dumpType: target.dumpType,
          bytes: r.bytes,
          pages: r.pages,
          classification: src.classification,
          ...(src.rules ? { rules: src.rules } : {}),
          diagnostics: diag.list(),
        };
        const how = src.classification === 'derived' ? 'the page tables' : 'the dumpkit page-class blob';
        process.stdout.write(
          o.json ? toJson(result) + '\n' : `${out}: ${src.variety.name} → ${target.name} (DumpType ${target.dumpType}), ${r.pages} pages, ${formatBytes(r.bytes)} (page classes from ${how})\n`,
        );
      } finally {
        await src.close();
      }
    });
}
