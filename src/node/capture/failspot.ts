/**
 * Named fault-injection points, for tests of paths that timing alone rarely reaches. With
 * DUMPKIT_FAILSPOT=<name> in the environment, dumpkit SIGKILLs itself when it reaches that point
 * (no cleanup runs: exactly what an outside `kill -9` at that instant would do).
 *
 * Points: snapshot-before-exitkill — the copy-on-write child exists and is stopped, but is not yet
 * tied to dumpkit's life by PTRACE_O_EXITKILL.
 * snapshot-writing — the copy-on-write child is running its write loop, writing its memory into
 * the dump file.
 */
export type FailSpot = 'snapshot-before-exitkill' | 'snapshot-writing';

export function failspot(name: FailSpot): void {
  if (process.env.DUMPKIT_FAILSPOT === name) process.kill(process.pid, 'SIGKILL');
}
