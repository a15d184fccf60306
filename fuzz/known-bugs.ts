/**
 * Bugs the fuzzer finds that are known and being fixed elsewhere. The fuzz slice test accepts a
 * failure only if it matches an entry here (and says so); every other exception, timeout or heap
 * failure fails it. The coordinator empties this list once the fixes are merged — then the slice
 * test holds the readers to "a result or a DumpError" again.
 */
export interface KnownBug {
  name: string;
  /** Where it is being fixed. */
  fixIn: string;
  target: string;
  /** Matched against the failure key: `<type> at <top frames>` (fuzz/failure.ts). */
  key: RegExp;
}

export const KNOWN_BUGS: readonly KnownBug[] = [
  // Empty: every bug the fuzzer found is fixed and its input kept as a regression under
  // test/fuzz/regressions/kernel/ — DirectoryTableBase >= 2^53 in VirtualMemory.tableAt, bitmap
  // FirstPage near 2^53 in checkPagesInFile, a physical read at 2^64 in PhysicalMemory.missing, the
  // kernel summary's broad .catch (SwallowedError), an RDMP range PFN near 2^53 and an RDMP
  // FirstPage near 2^53 (both refused where rdmpLayout reads them).
];

export function knownBug(target: string, key: string): KnownBug | undefined {
  return KNOWN_BUGS.find((b) => b.target === target && b.key.test(key));
}
