import type { ByteSink } from '../../core/bytes/byte-sink.js';
import type { Diagnostics } from '../../core/diagnostics.js';
import { coreToSnapshot, readElfCore } from '../../core/elfcore/index.js';
import type { Variety } from '../../core/minidump/varieties.js';
import { writeMinidump } from '../../core/minidump/writer/minidump-writer.js';
import { hostFile, miscRecord, systemRecord } from '../capture/system.js';
import { FileSource } from '../file-source.js';
import type { ProcFiles } from './proc-files.js';

export interface ConvertCoreOptions {
  variety: Variety;
  procFiles: ProcFiles;
  /** What the kernel said about the crash (%P %i %s %t). */
  crash: { pid: number; tid: number; signal: number; time: number };
  diagnostics: Diagnostics;
}

/**
 * The spooled ELF core at `corePath` → a minidump into `sink`, through the ELF core reader and
 * its converter (src/core/elfcore), with what only the live machine knows: the crashed process's
 * /proc files read while it was held (its real maps, cmdline, environ, status, start time), this
 * host's CPU and system (the crash happened here), and the kernel's %t as the dump's time.
 */
export async function convertCore(corePath: string, sink: ByteSink, opts: ConvertCoreOptions): Promise<{ size: number; notes: string[] }> {
  const { procFiles, crash, diagnostics } = opts;
  const source = FileSource.open(corePath);
  try {
    const core = await readElfCore(source, diagnostics);
    const files: Record<string, Uint8Array> = {};
    for (const name of ['cmdline', 'environ', 'status', 'maps'] as const) {
      const b = procFiles[name];
      if (b?.length) files[name] = b;
    }
    const cpuinfo = hostFile('/proc/cpuinfo');
    if (cpuinfo) files.cpuinfo = cpuinfo;
    const release = hostFile('/etc/lsb-release') ?? hostFile('/etc/os-release');
    if (release) files['lsb-release'] = release;
    const snapshot = await coreToSnapshot(core, opts.variety, diagnostics, {
      procFiles: files,
      system: systemRecord(core.arch, cpuinfo ? new TextDecoder().decode(cpuinfo) : ''),
      timestamp: crash.time,
    });
    if (procFiles.stat) {
      // The process's start time and CPU times from /proc/PID/stat (the core has no start time).
      snapshot.misc = miscRecord(crash.pid, new TextDecoder().decode(procFiles.stat));
    }
    if (!snapshot.exception) {
      // No NT_SIGINFO in the core: the kernel's %s and %i say which signal and thread.
      const t = core.threads.find((x) => x.id === crash.tid) ?? core.threads[0];
      if (t) {
        snapshot.exception = { threadId: t.id, code: crash.signal, flags: 0, address: 0n, registers: t.registers };
        diagnostics.add(`the core has no signal information: Exception stream from the kernel's arguments (signal ${crash.signal}, thread ${t.id})`);
      }
    }
    const r = await writeMinidump(snapshot, sink);
    return { size: r.size, notes: diagnostics.list() };
  } finally {
    await source.close();
  }
}
