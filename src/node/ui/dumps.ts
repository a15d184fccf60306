import { relative, sep, join } from 'node:path';
import { userInfo } from 'node:os';
import { DumpError } from '../../core/errors.js';
import { parseVariety } from '../../core/minidump/varieties.js';
import { captureProcess } from '../capture/capture.js';
import { PtraceTarget } from '../capture/ptrace-target.js';
import { defaultDumpName, processName } from '../capture/processes.js';
import { FileSink, nextFreeName } from '../file-sink.js';
import type { JobContext } from './jobs.js';
import { liveDumpInWorker } from './live-worker.js';
import { machineSpec, type LiveSettings, type ModelMachine } from './settings.js';

type JobResult = { file: string; path: string; result: Record<string, unknown> };

function relativeName(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}

/** The pid and variety a capture request names (`{ pid, type: "full"|"miniplus"|"mini" }`). */
export function captureRequest(body: unknown): { pid: number; variety: NonNullable<ReturnType<typeof parseVariety>> } {
  const b = body as { pid?: unknown; type?: unknown } | null;
  if (!b || !Number.isSafeInteger(b.pid) || (b.pid as number) <= 0) throw new DumpError('INVALID_ARGUMENT', 'pid must be a positive whole number');
  const variety = typeof b.type === 'string' ? parseVariety(b.type) : undefined;
  if (!variety) throw new DumpError('INVALID_ARGUMENT', 'type must be full, miniplus or mini');
  if (b.pid === process.pid) throw new DumpError('INVALID_ARGUMENT', 'dumpkit ui cannot dump itself');
  return { pid: b.pid as number, variety };
}

/**
 * `dumpkit capture`, from the page: the process's minidump into the dump folder under the CLI's
 * default name, written safely (FileSink), with the pause and the bytes written as progress.
 */
export async function runCapture(ctx: JobContext, root: string, pid: number, variety: NonNullable<ReturnType<typeof parseVariety>>): Promise<JobResult> {
  const name = processName(pid);
  ctx.update({ phase: 'stopping the process' });
  const target = new PtraceTarget(pid);
  const path = nextFreeName(join(root, defaultDumpName(name, pid, new Date())));
  let sink: FileSink | undefined;
  try {
    const r = await captureProcess(
      target,
      () => {
        const s = FileSink.create(path);
        sink = s;
        ctx.watchBytes(() => s.position);
        return s;
      },
      {
        variety,
        onProgress: (phase, done, total) =>
          ctx.update(
            phase === 'copy'
              ? { phase: 'copying memory: the process is paused', paused: true, phaseDone: done, phaseTotal: total }
              : { phase: 'writing the file: the process runs again', paused: false, phaseDone: done, phaseTotal: total },
          ),
      },
    );
    ctx.update({ pauseMs: r.pauseMs, paused: false, phase: 'renaming into place' });
    const file = sink!.commit();
    ctx.watchBytes(() => r.fileSize);
    const { variety: v, ...rest } = r;
    return { file: relativeName(root, file), path: file, result: { ...rest, variety: v, process: name } };
  } catch (e) {
    sink?.abort();
    throw e;
  }
}

/** The live-dump request: `{ type: "full"|"kernel-stacks" }`. */
export function liveType(body: unknown): 'full' | 'kernel-stacks' {
  const t = (body as { type?: unknown } | null)?.type;
  if (t !== 'full' && t !== 'kernel-stacks') throw new DumpError('INVALID_ARGUMENT', 'type must be full or kernel-stacks');
  return t;
}

/** The Windows user folder live dumps go under: this user's name where Windows allows it. */
export function windowsUser(): string {
  const u = userInfo().username;
  return /^[^\\/:*?"<>|\0]{1,64}$/.test(u) && u !== '.' && u !== '..' ? u : 'user';
}

/** `dumpkit live` of the modeled machine, with the settings, into `<root>/Users/<user>/…/LiveKernelDumps`. */
export async function runLive(ctx: JobContext, root: string, type: 'full' | 'kernel-stacks', machine: ModelMachine, live: LiveSettings): Promise<JobResult> {
  ctx.update({ phase: 'modelling the machine' });
  const report = await liveDumpInWorker(
    machineSpec(machine),
    { type, hypervisorPages: live.hypervisorPages, userPages: live.userPages, abortOnMemoryPressure: live.abortOnMemoryPressure, root, user: windowsUser() },
    (bytesWritten) => {
      ctx.update({ phase: 'writing the file' });
      ctx.watchBytes(bytesWritten);
    },
  );
  ctx.watchBytes(() => report.bytes);
  return { file: relativeName(root, report.file), path: report.file, result: { ...report, model: machine, settings: live } };
}
