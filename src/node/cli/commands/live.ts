import { closeSync, constants, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { Diagnostics } from '../../../core/diagnostics.js';
import { DumpError } from '../../../core/errors.js';
import { hex, toJson } from '../../../core/hex.js';
import { filetimeToDate } from '../../../core/varieties/crash-control.js';
import { liveDumpDir, liveDumpName, planLive } from '../../../core/varieties/live.js';
import { classCountsOf } from '../../../core/varieties/page-selection.js';
import { inNewFolders, nextFreeName } from '../../file-sink.js';
import { writeFileSafely } from '../../varieties/cli-util.js';
import { openVarietySource, writeFromSource } from '../../varieties/variety-source.js';

interface Opts {
  type: string;
  hypervisorPages: string;
  userPages?: boolean;
  abortOnMemoryPressure: boolean;
  root: string;
  user: string;
}

const LOCK = '.dumpkit-live.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One live dump at a time per dump folder: an O_EXCL lock file holding the writer's pid. */
export function takeLock(dir: string, notes: string[]): () => void {
  const path = join(dir, LOCK);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          unlinkSync(path);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new DumpError('IO', `cannot create ${path}: ${(e as NodeJS.ErrnoException).code}`);
      const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isSafeInteger(pid) && pid > 0 && alive(pid)) {
        throw new DumpError('BUSY', `a live dump is already being written (process ${pid} holds ${path}); wait for it to finish`);
      }
      notes.push(`removed a stale lock left by process ${Number.isNaN(pid) ? '?' : pid}`);
      unlinkSync(path);
    }
  }
  throw new DumpError('BUSY', `could not take ${path}`);
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
      const type = o.type;
      const hypervisorPages = o.hypervisorPages;
      const dir = join(o.root, ...liveDumpDir(o.user));
      const diag = new Diagnostics();
      const notes: string[] = [];
      const src = await openVarietySource(machine, diag);
      try {
        await inNewFolders(dir, async () => {
          const release = takeLock(dir, notes);
          try {
            const lp = planLive(src.classes, { type, hypervisorPages, userPages: !!o.userPages, abortOnMemoryPressure: o.abortOnMemoryPressure }, src.available);
            const file = nextFreeName(join(dir, liveDumpName(type, filetimeToDate(src.identity.systemTime))));
            const r = await writeFileSafely(file, false, (sink) => writeFromSource(src, lp.variety, sink, { runs: lp.runs, comment: `dumpkit live ${o.type}` }));
            if (lp.partial) notes.push(`partial: free+zeroed memory holds ${lp.freePages} of the ${lp.wantedPages} pages; kernel pages were kept first`);
            process.stdout.write(
              toJson({
                machine,
                file,
                type: o.type,
                variety: lp.variety.name,
                bugCheck: hex(lp.variety.bugCheck?.code ?? 0),
                bytes: r.bytes,
                pages: r.pages,
                wantedPages: lp.wantedPages,
                freePages: lp.freePages,
                partial: lp.partial,
                pageClasses: classCountsOf(src.classes, lp.runs),
                notes,
                diagnostics: diag.list(),
              }) + '\n',
            );
          } finally {
            release();
          }
        });
      } finally {
        await src.close();
      }
    });
}
