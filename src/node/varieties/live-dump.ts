import { closeSync, constants, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ByteSink } from '../../core/bytes/byte-sink.js';
import { Diagnostics } from '../../core/diagnostics.js';
import { DumpError } from '../../core/errors.js';
import { hex } from '../../core/hex.js';
import { filetimeToDate } from '../../core/varieties/crash-control.js';
import { liveDumpDir, liveDumpName, planLive } from '../../core/varieties/live.js';
import { classCountsOf } from '../../core/varieties/page-selection.js';
import { onlyErrno } from '../errno.js';
import { inNewFolders, nextFreeName } from '../file-sink.js';
import { writeFileSafely } from './cli-util.js';
import { openVarietySource, writeFromSource } from './variety-source.js';

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
        } catch (e) {
          onlyErrno(e); // already gone
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

export interface LiveDumpOptions {
  type: 'full' | 'kernel-stacks';
  hypervisorPages: 'none' | 'essential' | 'all';
  userPages: boolean;
  abortOnMemoryPressure: boolean;
  /** Directory standing for drive C:. */
  root: string;
  /** The Windows user whose %LocalAppData% receives the dump. */
  user: string;
  /** Called with the sink once the file is open (its `position` is the bytes written so far). */
  onSink?: (sink: ByteSink) => void;
}

/**
 * A Task Manager live kernel dump of a modeled machine into `<root>/Users/<user>/…/LiveKernelDumps`,
 * one at a time per folder (`dumpkit live`, and `dumpkit ui`'s System row).
 */
export async function writeLiveDump(machine: string, o: LiveDumpOptions) {
  const type = o.type;
  const hypervisorPages = o.hypervisorPages;
  const dir = join(o.root, ...liveDumpDir(o.user));
  const diag = new Diagnostics();
  const notes: string[] = [];
  const src = await openVarietySource(machine, diag);
  try {
    return await inNewFolders(dir, async () => {
      const release = takeLock(dir, notes);
      try {
        const lp = planLive(src.classes, { type, hypervisorPages, userPages: o.userPages, abortOnMemoryPressure: o.abortOnMemoryPressure }, src.available);
        const file = nextFreeName(join(dir, liveDumpName(type, filetimeToDate(src.identity.systemTime))));
        const r = await writeFileSafely(file, false, (sink) => {
          o.onSink?.(sink);
          return writeFromSource(src, lp.variety, sink, { runs: lp.runs, comment: `dumpkit live ${o.type}` });
        });
        if (lp.partial) notes.push(`partial: free+zeroed memory holds ${lp.freePages} of the ${lp.wantedPages} pages; kernel pages were kept first`);
        return {
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
        };
      } finally {
        release();
      }
    });
  } finally {
    await src.close();
  }
}
