import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { belowCommonAncestor, cgroupLimitReason, cgroupMounts, limitReason, parseProcCgroup } from '../../../src/node/capture/cgroup.js';

/**
 * When the snapshot child may write the dump: its CPU time and page cache count against the
 * target's cgroups, so not when the target is under a limit dumpkit is not under. The /proc texts
 * here are literal copies of the formats (cgroup(7), proc(5) mountinfo).
 */
const HYBRID_MOUNTINFO = [
  '25 30 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755',
  '26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate',
  '28 25 0:25 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,memory',
  '29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,cpu,cpuacct',
  '30 22 0:27 / /proc/sys/fs/binfmt_misc rw,relatime shared:14 - binfmt_misc binfmt_misc rw',
].join('\n');
const V2_MOUNTINFO = '35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot';

describe('cgroup limits for the snapshot writer', () => {
  test('parses /proc/PID/cgroup (v1 controllers and the v2 entry) and the cgroup mounts', () => {
    const m = parseProcCgroup('12:cpu,cpuacct:/app\n4:memory:/app/worker\n1:name=systemd:/x\n0::/user.slice/app.scope\n');
    assert.equal(m.get('cpu'), '/app');
    assert.equal(m.get('cpuacct'), '/app');
    assert.equal(m.get('memory'), '/app/worker');
    assert.equal(m.get(''), '/user.slice/app.scope');
    const mounts = cgroupMounts(HYBRID_MOUNTINFO);
    assert.equal(mounts.get(''), '/sys/fs/cgroup/unified');
    assert.equal(mounts.get('memory'), '/sys/fs/cgroup/memory');
    assert.equal(mounts.get('cpu'), '/sys/fs/cgroup/cpu,cpuacct');
    assert.equal(mounts.has('binfmt_misc'), false);
  });

  test('the cgroups from the target up to the one it shares with dumpkit', () => {
    assert.deepEqual(belowCommonAncestor('/a/b/c', '/a/x'), ['/a/b/c', '/a/b']);
    assert.deepEqual(belowCommonAncestor('/a/b', '/a/b'), []);
    assert.deepEqual(belowCommonAncestor('/a', '/'), ['/a']);
  });

  test('v2: a memory.max or cpu.max between the target and the shared ancestor refuses; "max" everywhere allows', () => {
    const texts = { theirs: '0::/system.slice/db.service\n', ours: '0::/user.slice/session-1.scope\n', mountinfo: V2_MOUNTINFO };
    const files = new Map<string, string>([
      ['/sys/fs/cgroup/system.slice/db.service/cpu.max', 'max 100000\n'],
      ['/sys/fs/cgroup/system.slice/db.service/memory.max', 'max\n'],
      ['/sys/fs/cgroup/system.slice/db.service/memory.high', 'max\n'],
      ['/sys/fs/cgroup/system.slice/memory.max', 'max\n'],
    ]);
    assert.equal(limitReason(texts, (p) => files.get(p)), undefined);
    files.set('/sys/fs/cgroup/system.slice/memory.max', '1073741824\n');
    assert.equal(limitReason(texts, (p) => files.get(p)), 'its cgroup /system.slice limits it (memory.max = 1073741824)');
    files.set('/sys/fs/cgroup/system.slice/memory.max', 'max\n');
    files.set('/sys/fs/cgroup/system.slice/db.service/cpu.max', '50000 100000\n');
    assert.match(limitReason(texts, (p) => files.get(p)) ?? '', /db\.service limits it \(cpu\.max = 50000 100000\)/);
    // The same cgroup as dumpkit: whatever limits the target limits dumpkit's own writes as well.
    assert.equal(limitReason({ ...texts, ours: texts.theirs }, (p) => files.get(p)), undefined);
  });

  test('v1: memory.limit_in_bytes and cpu.cfs_quota_us', () => {
    const texts = { theirs: '4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/\n', ours: '4:memory:/\n3:cpu,cpuacct:/\n0::/\n', mountinfo: HYBRID_MOUNTINFO };
    const files = new Map<string, string>([
      ['/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes', '9223372036854771712\n'],
      ['/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us', '-1\n'],
    ]);
    assert.equal(limitReason(texts, (p) => files.get(p)), undefined);
    files.set('/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes', '536870912\n');
    assert.match(limitReason(texts, (p) => files.get(p)) ?? '', /memory\.limit_in_bytes = 536870912/);
  });

  test('this process against itself: same cgroups, no limit in the way', () => {
    assert.equal(cgroupLimitReason(process.pid), undefined);
  });
});
