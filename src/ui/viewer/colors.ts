// Colours of the memory map and composition chart: distinct hues per kind, all with at least 3:1
// contrast against the white page (WCAG's figure for graphics), a legend beside every picture.

const MINIDUMP: Record<string, string> = {
  image: '#2f6db5',
  mapped: '#3c8c3a',
  private: '#c86a12',
  stack: '#c0392b',
  heap: '#8e4fa3',
  reserved: '#8a8a8a',
  'memory (kind not recorded)': '#2a8c87',
  'in the dump': '#1b1b1b',
};

const GROUP: Record<string, string[]> = {
  kernel: ['#1f4e8c', '#2f6db5', '#3f7fc7', '#5390d1', '#2a5da0', '#4a78b0', '#16407a'],
  user: ['#b85a0a', '#c86a12', '#a34f0c', '#d07a26'],
  'file-cache': ['#3c8c3a'],
  unallocated: ['#8a8a8a', '#767676'],
  'paging-lists': ['#8f7a10', '#a38b13', '#7a6a0d', '#957f1a', '#86720f', '#9c8617'],
  'guest-vm': ['#8e4fa3'],
  hypervisor: ['#c0392b', '#d0584b'],
  unknown: ['#6b4f3a'],
};

/** The colour of kind `k` of a memory map (minidump kinds, or kernel page classes with their group). */
export function kindColor(kind: string, group?: string, indexInGroup = 0): string {
  if (MINIDUMP[kind]) return MINIDUMP[kind]!;
  if (kind === 'not RAM') return '#dddddd';
  const g = GROUP[group ?? 'unknown'] ?? GROUP.unknown!;
  return g[indexInGroup % g.length]!;
}
