/**
 * A stable crash signature, in the spirit of Socorro's and Sentry's grouping: the top frames of the
 * crashing stack that lie outside system and runtime modules and are not crash-reporting functions
 * (abort, raise, KiUserExceptionDispatcher, …), each as its function name when
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

/**
 * Functions that only report or forward a crash (Socorro's "irrelevant" and prefix lists, the part
 * that is the same everywhere): the abort/raise machinery of the C runtimes, the exception
 * dispatchers and the assertion handlers. Their frames are skipped wherever they are, also when a
 * program links the C runtime statically, so `abort | raise | foo` and `foo` group together.
 */
const REPORTING_FUNCTION_PATTERNS: readonly RegExp[] = [
  /^(__GI_)?(raise|abort)$/,
  /^__(pthread_kill|pthread_kill_implementation|pthread_kill_internal)$/,
  /^(pthread_kill|tgkill|gsignal|__kernel_vsyscall|__restore_rt|_sigtramp)$/,
  /^(__GI___|__)?(assert_fail|assert_fail_base|assert_perror_fail)$/,
  /^__(libc_message|fortify_fail|stack_chk_fail|chk_fail)$/,
  /^(std::terminate|std::__terminate|__cxxabiv1::__terminate|__cxa_throw|__gnu_cxx::__verbose_terminate_handler)(\(.*\))?$/,
  /^(KiUserExceptionDispatcher|KiFastSystemCallRet|RtlRaiseException|RaiseException|RaiseFailFastException|_CxxThrowException|CxxThrowException)$/,
  /^(RtlReportCriticalFailure|RtlpReportHeapFailure|RtlpHeapHandleError|UnhandledExceptionFilter|WerpReportFault)$/,
  /^(_?abort|_?invoke_watson|_?invalid_parameter(_noinfo(_noreturn)?)?|__report_gsfailure|_wassert|_assert|__fastfail)$/,
];

/** Whether `name` (as the symbols give it) is a crash-reporting frame that signatures skip. */
export function isReportingFunction(name: string | undefined): boolean {
  if (!name) return false;
  const n = normalizeFunction(name);
  return REPORTING_FUNCTION_PATTERNS.some((re) => re.test(n));
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
  let chosen = frames.filter((f) => !isSystemModule(f.module) && !isReportingFunction(f.function));
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

/** A frame in rust-minidump's JSON shape (what `stack --json` and the serve API hold): hex strings. */
export interface JsonFrame {
  function?: string | null;
  module?: string | null;
  module_offset?: string | null;
  offset?: string | null;
}

/** The signature of frames in rust-minidump's JSON shape (the crashing thread's, innermost first). */
export function crashSignatureOfJsonFrames(frames: readonly JsonFrame[], options: SignatureOptions = {}): CrashSignature {
  const hex = (v: string | null | undefined): bigint | undefined => (typeof v === 'string' && /^0x[0-9a-f]+$/i.test(v) ? BigInt(v) : undefined);
  return crashSignature(
    frames.map((f) => {
      const out: SignatureFrame = { address: hex(f.offset) ?? 0n };
      if (f.function) out.function = f.function;
      if (f.module) out.module = f.module;
      const mo = hex(f.module_offset);
      if (mo !== undefined) out.moduleOffset = mo;
      return out;
    }),
    options,
  );
}
