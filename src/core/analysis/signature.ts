/**
 * A stable crash signature, in the spirit of Socorro's and Sentry's grouping: the top frames of the
 * crashing stack that lie outside system and runtime modules, each as its function name when
 * symbolized (no address, no offset) or else as `module@0xoffset`, joined by ` | `; plus a short
 * hash of that text. The same crash in the same build gives the same signature whatever the load
 * addresses (ASLR), the dump kind or the run.
 */

/** What the signature needs of one frame. */
export interface SignatureFrame {
  /** The module's path or name as the dump records it, when the address is in one. */
  module?: string;
  /** Offset of the address in the module. */
  moduleOffset?: bigint;
  /** Function name, when symbolized. */
  function?: string;
  /** The absolute address (used only when there is neither a function nor a module). */
  address: bigint;
}

export interface CrashSignature {
  /** `function | function | module@0xoffset` (or `<empty stack>`). */
  text: string;
  /** The frames it was built from, normalized. */
  frames: string[];
  /** 16 hex digits: FNV-1a 64 of `text`. */
  hash: string;
  /** True when every frame was in a system module, so the top frames were used as they are. */
  systemOnly: boolean;
}

/**
 * System and runtime modules whose frames are skipped (matched on the lower-cased base name).
 * Windows user mode, the C/C++ runtimes, Linux libc/loader/libstdc++, Apple's libSystem family,
 * and for kernel dumps the kernel image and HAL.
 */
const SYSTEM_MODULE_PATTERNS: readonly RegExp[] = [
  /^ntdll\.dll$/,
  /^kernelbase\.dll$/,
  /^kernel32\.dll$/,
  /^ucrtbased?\.dll$/,
  /^msvcrt\.dll$/,
  /^msvc[pr]\d+d?\.dll$/,
  /^vcruntime\d+(_\d+)?d?\.dll$/,
  /^wow64(cpu|win)?\.dll$/,
  /^libc([.-].*)?\.so(\..*)?$/,
  /^libc\.musl.*\.so.*$/,
  /^libpthread([.-].*)?\.so(\..*)?$/,
  /^ld-linux.*\.so(\..*)?$/,
  /^ld(-[0-9.]+)?\.so(\..*)?$/,
  /^ld-musl.*\.so.*$/,
  /^linker(64)?$/,
  /^libstdc\+\+\.so(\..*)?$/,
  /^libc\+\+(abi)?\.so(\..*)?$/,
  /^libgcc_s\.so(\..*)?$/,
  /^libsystem[._].*dylib$/,
  /^libc\+\+(abi)?(\.\d+)?\.dylib$/,
  /^libdyld\.dylib$/,
  /^dyld$/,
  /^ntoskrnl\.exe$/,
  /^ntkrnl(mp|pa|pamp)?\.exe$/,
  /^ntkrpamp\.exe$/,
  /^hal\.dll$/,
];

/** Base name of a module path, Windows or POSIX. */
export function moduleBaseName(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i >= 0 ? path.slice(i + 1) : path;
}

export function isSystemModule(path: string | undefined): boolean {
  if (!path) return false;
  const base = moduleBaseName(path).toLowerCase();
  return SYSTEM_MODULE_PATTERNS.some((re) => re.test(base));
}

/** A function name without addresses or offsets, whitespace collapsed (`foo(int, char)` stays as the symbol file gives it). */
export function normalizeFunction(name: string): string {
  return name
    .replace(/\s+\+\s*0x[0-9a-f]+$/i, '')
    .replace(/\s+/g, ' ')
    .replace(/ ?, ?/g, ', ')
    .trim();
}

/** One frame as it appears in a signature. */
export function signatureFrame(f: SignatureFrame): string {
  if (f.function) return normalizeFunction(f.function);
  if (f.module !== undefined && f.moduleOffset !== undefined) return `${moduleBaseName(f.module)}@0x${f.moduleOffset.toString(16)}`;
  return `@0x${f.address.toString(16)}`;
}

/** FNV-1a, 64 bits, over the UTF-8 bytes of `text`, as 16 hex digits. */
export function fnv1a64(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const b of new TextEncoder().encode(text)) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

export interface SignatureOptions {
  /** Frames kept in the signature (default 3). */
  maxFrames?: number;
}

/** The signature of a stack given innermost frame first. */
export function crashSignature(frames: readonly SignatureFrame[], options: SignatureOptions = {}): CrashSignature {
  const max = options.maxFrames ?? 3;
  let chosen = frames.filter((f) => !isSystemModule(f.module));
  const systemOnly = chosen.length === 0 && frames.length > 0;
  if (systemOnly) chosen = [...frames];
  const parts: string[] = [];
  for (const f of chosen) {
    const text = signatureFrame(f);
    // Recursion and inlined repeats add nothing to grouping.
    if (parts[parts.length - 1] !== text) parts.push(text);
    if (parts.length >= max) break;
  }
  const text = parts.length ? parts.join(' | ') : '<empty stack>';
  return { text, frames: parts, hash: fnv1a64(text), systemOnly };
}
