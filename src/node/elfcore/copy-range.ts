/**
 * Memory of a core copied into the minidump inside the kernel (copy_file_range, as `cp` does):
 * the core's bytes never pass through Node. Where the kernel refuses (another file system on an
 * old kernel, a file system without it), positioned reads and writes through one 8 MiB buffer.
 * copy_file_range is bound here with koffi (a function only: no named koffi types, which must be
 * declared once per process and live in src/node/capture/libc.ts).
 */
import { readSync, writeSync } from 'node:fs';
import koffi from 'koffi';
import type { CoreMemory } from '../../core/elfcore/memory.js';
import { DumpError } from '../../core/errors.js';
import type { SnapshotMemory } from '../../core/minidump/writer/model.js';

let copyFileRangeFn: ((fdIn: number, offIn: number[], fdOut: number, offOut: number[], len: number, flags: number) => number | bigint) | undefined;

/** copy_file_range(2): bytes copied (0 at the end of the input), or -1 with errno set. */
function copyFileRange(fdIn: number, offsetIn: number, fdOut: number, offsetOut: number, length: number): number {
  copyFileRangeFn ??= koffi.load('libc.so.6').func('long copy_file_range(int fd_in, _Inout_ int64_t *off_in, int fd_out, _Inout_ int64_t *off_out, size_t len, unsigned int flags)');
  return Number(copyFileRangeFn(fdIn, [offsetIn], fdOut, [offsetOut], length, 0));
}

/** One call's length: long enough to cost nothing, short enough for progress reports. */
const STEP = 64 * 1024 * 1024;
const BUFFER = 8 * 1024 * 1024;
/** errno values that mean "copy_file_range cannot do this here": EXDEV, EINVAL, ENOSYS, EOPNOTSUPP, EBADF. */
const UNSUPPORTED = new Set([18, 22, 38, 95, 9]);

export class RangeCopier {
  private kernelCopy: boolean;
  private buffer: Uint8Array | undefined;
  /** Bytes copied by the kernel and through the buffer, for reports. */
  readonly stats = { inKernel: 0, buffered: 0 };

  /** `inKernel` false: the buffered copy from the start (what happens where the kernel refuses). */
  constructor(
    private readonly sourceFd: number,
    private readonly sinkFd: () => number,
    inKernel = true,
  ) {
    this.kernelCopy = inKernel;
  }

  /** `memory` with a `fill` that copies each range's file extents to the sink offset the writer gives. */
  withFill(memory: SnapshotMemory[], core: CoreMemory): SnapshotMemory[] {
    return memory.map((m) => ({
      ...m,
      fill: (at: number, progress: (bytes: number) => void) => {
        let out = at;
        for (const e of core.fileExtents(m.address, m.size)) {
          this.copy(e.fileOffset, out, e.length, progress);
          out += e.length;
        }
        return Promise.resolve();
      },
    }));
  }

  private copy(from: number, to: number, length: number, progress: (bytes: number) => void): void {
    const outFd = this.sinkFd();
    let done = 0;
    while (done < length && this.kernelCopy) {
      const n = copyFileRange(this.sourceFd, from + done, outFd, to + done, Math.min(STEP, length - done));
      if (n > 0) {
        done += n;
        this.stats.inKernel += n;
        progress(n);
        continue;
      }
      const e = n < 0 ? koffi.errno() : 0;
      if (n < 0 && UNSUPPORTED.has(e)) this.kernelCopy = false;
      else if (n === 0) throw new DumpError('TRUNCATED', `the core ended at 0x${(from + done).toString(16)} while copying its memory`, { offset: from + done, length: length - done });
      else throw new DumpError('IO', `copy_file_range failed with errno ${e} copying core bytes at 0x${(from + done).toString(16)}`);
    }
    this.buffer ??= new Uint8Array(BUFFER);
    while (done < length) {
      const want = Math.min(this.buffer.length, length - done);
      const got = readSync(this.sourceFd, this.buffer, 0, want, from + done);
      if (got === 0) throw new DumpError('TRUNCATED', `the core ended at 0x${(from + done).toString(16)} while copying its memory`, { offset: from + done, length: length - done });
      for (let w = 0; w < got; ) w += writeSync(outFd, this.buffer, w, got - w, to + done + w);
      done += got;
      this.stats.buffered += got;
      progress(got);
    }
  }
}
