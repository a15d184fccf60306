import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onlyErrno } from '../errno.js';

/**
 * Whether work done by the target's snapshot child would be charged against limits the target
 * lives under. The child is a process in the target's cgroups: its CPU time and the page cache
 * it dirties count against them. Where the target sits in a cgroup of its own with a CPU quota
 * or a memory limit (a container, a systemd unit with MemoryMax=), the child's writes could
 * throttle the target or press it for memory; the dump is then written by dumpkit instead.
 *
 * Returns undefined when nothing limits the target that does not limit dumpkit too (same
 * cgroup, or no limit between the target's cgroup and the one it shares with dumpkit), else the
 * reason in words.
 */
export function cgroupLimitReason(pid: number): string | undefined {
  let texts: { theirs: string; ours: string; mountinfo: string };
  try {
    texts = { theirs: readFileSync(`/proc/${pid}/cgroup`, 'utf8'), ours: readFileSync('/proc/self/cgroup', 'utf8'), mountinfo: readFileSync('/proc/self/mountinfo', 'utf8') };
  } catch (e) {
    onlyErrno(e);
    return 'its cgroups cannot be read';
  }
  return limitReason(texts, (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      onlyErrno(e);
      return undefined; // no such control file (the controller is not enabled in that cgroup)
    }
  });
}

/** cgroupLimitReason on given /proc texts, reading control files through `read`. */
export function limitReason(texts: { theirs: string; ours: string; mountinfo: string }, read: (path: string) => string | undefined): string | undefined {
  const theirs = parseProcCgroup(texts.theirs);
  const ours = parseProcCgroup(texts.ours);
  const mounts = cgroupMounts(texts.mountinfo);
  for (const c of CHECKS) {
    const target = theirs.get(c.hierarchy);
    const own = ours.get(c.hierarchy);
    const mount = mounts.get(c.hierarchy);
    if (target === undefined || mount === undefined) continue; // controller not in use
    if (target === own) continue;
    for (const dir of belowCommonAncestor(target, own ?? '/')) {
      for (const [file, limited] of c.files) {
        const text = read(join(mount, dir, file))?.trim();
        if (text !== undefined && limited(text)) return `its cgroup ${dir} limits it (${file} = ${text})`;
      }
    }
  }
  return undefined;
}

const unlimitedV1 = (t: string): boolean => /^\d+$/.test(t) && BigInt(t) >= 2n ** 62n;
const CHECKS: { hierarchy: string; files: [string, (text: string) => boolean][] }[] = [
  {
    hierarchy: '', // cgroup v2
    files: [
      ['cpu.max', (t) => t.split(/\s+/)[0] !== 'max'],
      ['memory.max', (t) => t !== 'max'],
      ['memory.high', (t) => t !== 'max'],
    ],
  },
  { hierarchy: 'cpu', files: [['cpu.cfs_quota_us', (t) => t !== '-1']] },
  { hierarchy: 'memory', files: [['memory.limit_in_bytes', (t) => !unlimitedV1(t)]] },
];

/** /proc/PID/cgroup → controller ('' for v2, else each v1 controller name) → path. */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === '0' && m[2] === '') out.set('', m[3]!);
    else for (const c of m[2]!.split(',')) if (c) out.set(c, m[3]!);
  }
  return out;
}

/** Mount points of the cgroup hierarchies, from /proc/self/mountinfo: '' for cgroup2, else by v1 controller. */
export function cgroupMounts(mountinfo: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of mountinfo.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    const fields = pre.split(' ');
    const [fstype, , options] = post.split(' ');
    const root = fields[3];
    const mountPoint = fields[4]?.replace(/\\040/g, ' ');
    if (!mountPoint || root !== '/') continue;
    if (fstype === 'cgroup2') {
      if (!out.has('')) out.set('', mountPoint);
    } else if (fstype === 'cgroup') {
      for (const o of (options ?? '').split(',')) if (!out.has(o)) out.set(o, mountPoint);
    }
  }
  return out;
}

/** The cgroup directories from `path` up to, but not including, the deepest one it shares with `other`. */
export function belowCommonAncestor(path: string, other: string): string[] {
  const a = path.split('/').filter(Boolean);
  const b = other.split('/').filter(Boolean);
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  const out: string[] = [];
  for (let n = a.length; n > common; n--) out.push('/' + a.slice(0, n).join('/'));
  return out;
}
