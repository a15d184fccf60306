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
  {
    name: 'DirectoryTableBase >= 2^53: VirtualMemory.tableAt formats an unsafe number (RangeError from hex())',
    fixIn: 'branch hardening (40b3b1e)',
    target: 'kernel',
    key: /^RangeError at .*src\/core\/kernel\/virtual\.ts:\d+ \(VirtualMemory\.tableAt\)/,
  },
  {
    name: 'bitmap FirstPage near 2^53: checkPagesInFile formats an unsafe number (RangeError from hex())',
    fixIn: 'branch hardening (40b3b1e)',
    target: 'kernel',
    key: /^RangeError at .*(checkPagesInFile|bitmapLayout)/,
  },
  {
    name: 'physical address >= 2^53: PhysicalMemory.missing formats an unsafe PFN (RangeError from hex())',
    fixIn: 'branch hardening (40b3b1e: physical reads below 2^52)',
    target: 'kernel',
    key: /^RangeError at .*src\/core\/kernel\/physical\.ts:\d+ \(PhysicalMemory\.missing\)/,
  },
  {
    name: 'kernel summary: broad .catch turns any exception into a diagnostic (found as SwallowedError)',
    fixIn: 'branch hardening (40b3b1e: onlyDumpError)',
    target: 'kernel',
    key: /^SwallowedError at /,
  },
];

export function knownBug(target: string, key: string): KnownBug | undefined {
  return KNOWN_BUGS.find((b) => b.target === target && b.key.test(key));
}
