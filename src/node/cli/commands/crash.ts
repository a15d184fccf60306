import { existsSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { Diagnostics } from '../../../core/diagnostics.js';
import { DumpError } from '../../../core/errors.js';
import { hex, toJson } from '../../../core/hex.js';
import { decideCrash, filetimeToDate, parseCrashControl, type CrashControl } from '../../../core/varieties/crash-control.js';
import { secondaryDataBytes } from '../../../core/varieties/sizes.js';
import { variety, type VarietyName } from '../../../core/varieties/rules.js';
import { inNewFolders } from '../../file-sink.js';
import { readInputText } from '../../file-source.js';
import { writeFileSafely } from '../../varieties/cli-util.js';
import { openVarietySource, planSource, writeFromSource } from '../../varieties/variety-source.js';
import { mapWindowsPath } from '../../varieties/windows-paths.js';

/** A CrashControl config is a few hundred bytes of JSON; more is not a config. */
const MAX_CONFIG_BYTES = 64 * 1024;

function readConfig(path: string): CrashControl {
  const text = readInputText(path, 'config', MAX_CONFIG_BYTES);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DumpError('INVALID_ARGUMENT', `${path} is not JSON: ${(e as Error).message}`);
  }
  return parseCrashControl(json);
}

export function register(program: Command): void {
  program
    .command('crash')
    .description('write what Windows would on a bug check, from CrashControl settings; prints a JSON report')
    .argument('<machine>', 'a modeled machine: the dump `dumpkit machine` wrote, or a spec like workstation:8G')
    .requiredOption('--config <file>', 'CrashControl values as JSON (CrashDumpEnabled, DumpFile, MinidumpDir, Overwrite, FilterPages, AlwaysKeepMemoryDump, MinidumpsCount, LastCrashTime, PageFileSizeMB (default: a system-managed page file sized as Windows does), PageFileSystemManaged, DiskFreeMB)')
    .option('--root <dir>', 'directory standing for drive C: (%SystemRoot% = <root>/Windows)', '.')
    .action(async (machine: string, o: { config: string; root: string }) => {
      const cc = readConfig(o.config);
      const diag = new Diagnostics();
      const src = await openVarietySource(machine, diag);
      try {
        const only: VarietyName[] = [];
        const v = cc.CrashDumpEnabled === 1 ? (cc.FilterPages === 1 ? 'active' : 'complete') : cc.CrashDumpEnabled === 2 ? 'kernel' : cc.CrashDumpEnabled === 3 ? 'small' : cc.CrashDumpEnabled === 7 ? 'automatic' : undefined;
        if (v) only.push(v);
        const plans = await planSource(src, { hypervisorPages: 'none', userPages: false }, diag, only);
        if (v && !plans.length) throw new DumpError('REFUSED', `${machine} is a ${src.variety.name} dump: it cannot give a ${v} dump`);
        const minidumpDir = mapWindowsPath(o.root, cc.MinidumpDir);
        const minidumps = existsSync(minidumpDir)
          ? readdirSync(minidumpDir)
              .filter((n) => n.toLowerCase().endsWith('.dmp'))
              .map((name) => ({ name, mtimeMs: statSync(`${minidumpDir}/${name}`).mtimeMs }))
          : [];
        const dumpFile = mapWindowsPath(o.root, cc.DumpFile);
        const secondary = secondaryDataBytes(src.secondaryFor(variety('complete')).map((r) => r.data.length));
        const d = decideCrash(
          cc,
          {
            ramBytes: src.ramBytes,
            pfnCount: src.identity.pfnCount,
            productType: src.identity.productType,
            systemTime: src.identity.systemTime,
            systemUpTime: src.identity.systemUpTime,
            plans: Object.fromEntries(plans.map((p) => [p.name, p])),
            secondaryBytes: secondary,
          },
          { dumpFileExists: existsSync(dumpFile), minidumps },
        );
        const files: { path: string; windowsPath: string; variety: string; bytes: number; pages: number; truncated: boolean; attributes: string }[] = [];
        const removed: { path: string; reason: string }[] = [];
        if (d.write && !d.deletedAtReboot) {
          const w = d.write;
          const path = mapWindowsPath(o.root, w.windowsPath);
          const r = await inNewFolders(dirname(path), () =>
            writeFileSafely(path, cc.Overwrite === 1 || w.variety === 'small', (sink) =>
              writeFromSource(src, variety(w.variety), sink, { maxPages: w.maxPages, extraAttributes: w.attributes, dropSecondaryData: w.dropSecondaryData }),
            ),
          );
          files.push({ path, windowsPath: w.windowsPath, variety: w.variety, bytes: r.bytes, pages: r.pages, truncated: w.maxPages !== undefined, attributes: hex(w.attributes) });
        } else if (d.write && d.deletedAtReboot) {
          removed.push({ path: mapWindowsPath(o.root, d.write.windowsPath), reason: 'written at the crash, deleted at the next boot (low disk space)' });
        }
        for (const w of d.remove) {
          const p = mapWindowsPath(o.root, w);
          unlinkSync(p);
          removed.push({ path: p, reason: `over MinidumpsCount=${cc.MinidumpsCount}` });
        }
        const report = {
          machine,
          crashTime: filetimeToDate(src.identity.systemTime).toISOString(),
          msSinceBoot: Number(src.identity.systemUpTime / 10000n),
          setting: d.setting,
          files,
          removed,
          pageFile: d.pageFile,
          registry: d.registry,
          notes: d.notes,
          diagnostics: diag.list(),
        };
        process.stdout.write(toJson(report) + '\n');
      } finally {
        await src.close();
      }
    });
}

