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
  // Found by the fuzzer before branch hardening's fixes (40b3b1e) and gone since it was merged here;
  // their inputs are regressions under test/fuzz/regressions/kernel/: DirectoryTableBase >= 2^53 in
  // VirtualMemory.tableAt, bitmap FirstPage near 2^53 in checkPagesInFile, a physical read at 2^64
  // in PhysicalMemory.missing, the kernel summary's broad .catch (SwallowedError).
  {
    name: 'RDMP range with a PFN near 2^53: the index accepts it, PhysicalMemory.missing/readPage then format an unsafe address (RangeError from hex())',
    fixIn: 'not yet fixed (found by fuzz-startup after merging hardening; regression rdmp-range-pfn-2p53.dmp)',
    target: 'kernel',
    key: /^RangeError at .*src\/core\/kernel\/physical\.ts:\d+ \(PhysicalMemory\.missing\)/,
  },
  {
    name: 'RDMP FirstPage near 2^53: checkPagesInFile (from rdmpLayout) formats an unsafe offset (RangeError from hex()); the bitmap FirstPage is capped, the RDMP one is not',
    fixIn: 'not yet fixed (found by fuzz-startup after merging hardening; regression rdmp-firstpage-near-2p53.dmp)',
    target: 'kernel',
    key: /^RangeError at .*\(checkPagesInFile\)/,
  },
];

export function knownBug(target: string, key: string): KnownBug | undefined {
  return KNOWN_BUGS.find((b) => b.target === target && b.key.test(key));
}
