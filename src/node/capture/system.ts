import { readFileSync } from 'node:fs';
import { machine, release, type, version } from 'node:os';
import type { WriterArch, MiscRecord, SystemRecord } from '../../core/minidump/writer/model.js';
import { onlyErrno } from '../errno.js';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    onlyErrno(e);
    return undefined;
  }
}

/** MINIDUMP_SYSTEM_INFO content for this machine, from /proc/cpuinfo and uname. */
export function systemRecord(arch: WriterArch, cpuinfo = read('/proc/cpuinfo') ?? ''): SystemRecord {
  const field = (name: string): string | undefined => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(cpuinfo)?.[1]?.trim();
  const family = Number(field('cpu family') ?? 0);
  const model = Number(field('model') ?? 0);
  const stepping = Number(field('stepping') ?? 0);
  const count = (cpuinfo.match(/^processor\s*:/gm) ?? []).length || 1;
  // CPUID(1).EAX: stepping[3:0] model[7:4] family[11:8] ext-model[19:16] ext-family[27:20]
  const baseFamily = Math.min(family, 15);
  const cpuidVersion = (stepping & 0xf) | ((model & 0xf) << 4) | (baseFamily << 8) | (((model >> 4) & 0xf) << 16) | ((family > 15 ? family - 15 : 0) << 20);
  return {
    arch,
    processorLevel: family,
    processorRevision: ((model & 0xff) << 8) | (stepping & 0xff),
    processorCount: count,
    csdVersion: `${type()} ${release()} ${version()} ${arch === 'amd64' ? machine() : 'i686'}`,
    vendorId: field('vendor_id') ?? '',
    cpuidVersion,
    cpuidFeatures: 0,
  };
}

/** MiscInfo from /proc/PID/stat (times in clock ticks, assumed 100 Hz as on every x86 Linux) and btime. */
export function miscRecord(pid: number, statText: string | undefined): MiscRecord {
  const misc: MiscRecord = { processId: pid, processCreateTime: 0, processUserTime: 0, processKernelTime: 0 };
  if (!statText) return misc;
  const fields = statText.slice(statText.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime 15, starttime 22.
  const ticks = 100;
  misc.processUserTime = Math.floor(Number(fields[11] ?? 0) / ticks);
  misc.processKernelTime = Math.floor(Number(fields[12] ?? 0) / ticks);
  const btime = Number(/^btime\s+(\d+)/m.exec(read('/proc/stat') ?? '')?.[1] ?? 0);
  if (btime) misc.processCreateTime = btime + Math.floor(Number(fields[19] ?? 0) / ticks);
  return misc;
}

/** /proc/meminfo MemAvailable in bytes (undefined if unknown). */
export function memAvailable(): number | undefined {
  const kb = /^MemAvailable:\s+(\d+)\s+kB/m.exec(read('/proc/meminfo') ?? '')?.[1];
  return kb ? Number(kb) * 1024 : undefined;
}

export function hostFile(path: string): Uint8Array | undefined {
  try {
    return readFileSync(path);
  } catch (e) {
    onlyErrno(e);
    return undefined;
  }
}
