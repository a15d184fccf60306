// ProcessState as rust-minidump's `minidump-stackwalk --json` prints it (its documented JSON schema):
// same keys, same key order (alphabetical, as serde_json writes them), addresses as zero-padded
// "0x…" strings of the pointer width, and the caller frames' `offset` inside the call instruction.
// Fields dumpkit does not compute (disassembly, bit flips, certificates) are null as rust-minidump
// writes them when unknown.
import { hexPad } from '../hex.js';
import type { CpuArch } from '../minidump/constants.js';
import type { StackFrame } from '../unwind/types.js';
import { frameLookupAddress, type WalkArch } from '../unwind/walker.js';
import type { ProcessState, ProcessThread } from './process-state.js';
import { JSON_REGISTERS, addressDigits, baseName, registerValue } from './registers.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function sorted(o: Record<string, Json>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k]!;
  return out;
}

const WALK_ARCHES = new Set(['amd64', 'x86', 'arm64', 'arm']);

function frameJson(f: StackFrame, index: number, arch: CpuArch | undefined, hex: (v: bigint) => string): Record<string, Json> {
  const at = arch && WALK_ARCHES.has(arch) ? frameLookupAddress(f, arch as WalkArch) : f.instruction;
  const s = f.symbol;
  return sorted({
    file: s?.file ?? null,
    frame: index,
    function: s?.function ?? null,
    function_offset: s ? hex(at - s.functionBase) : null,
    inlines: f.inlines && f.inlines.length ? f.inlines.map((i) => ({ file: i.file ?? null, function: i.function, line: i.line ?? null })) : null,
    line: s?.line ?? null,
    missing_symbols: s === undefined,
    module: f.module ? baseName(f.module.codeFile) : null,
    module_offset: f.module ? hex(at - f.module.base) : null,
    offset: hex(at),
    trust: f.trust,
    unloaded_modules: null,
  });
}

function threadJson(t: ProcessThread, arch: CpuArch | undefined, hex: (v: bigint) => string): Record<string, Json> {
  return sorted({
    frame_count: t.stack.frames.length,
    frames: t.stack.frames.map((f, i) => frameJson(f, i, arch, hex)),
    last_error_value: null,
    thread_id: t.id,
    thread_name: t.name ?? null,
  });
}

/** The JSON value (not yet a string) of a ProcessState in rust-minidump's shape. */
export function processStateToJson(state: ProcessState): Record<string, Json> {
  const arch = state.system?.arch;
  const digits = addressDigits(arch);
  const hex = (v: bigint): string => hexPad(v & (digits === 8 ? 0xffffffffn : 0xffffffffffffffffn), digits);
  const threads = state.threads.map((t) => threadJson(t, arch, hex));
  const crashIndex = state.crash?.threadIndex;
  let crashingThread: Json = null;
  if (crashIndex !== undefined && state.threads[crashIndex]!.stack.frames.length > 0) {
    const t: Record<string, Json> = { ...threads[crashIndex]!, threads_index: crashIndex };
    const frames = (t.frames as Record<string, Json>[]).slice();
    const f0 = state.threads[crashIndex]!.stack.frames[0]!;
    const regs: Record<string, Json> = {};
    for (const r of (arch && JSON_REGISTERS[arch]) ?? []) {
      const v = registerValue(f0.registers, arch!, r);
      if (v !== undefined) regs[r] = hex(v);
    }
    frames[0] = sorted({ ...frames[0]!, registers: sorted(regs) });
    t.frames = frames;
    crashingThread = sorted(t);
  }
  const lsb = state.linux?.lsbRelease;
  return sorted({
    crash_info: sorted({
      address: state.crash ? hex(state.crash.address) : null,
      adjusted_address: null,
      assertion: null,
      crash_inconsistencies: [],
      crashing_thread: crashIndex ?? null,
      instruction: null,
      instruction_pointer_update: null,
      memory_accesses: null,
      possible_bit_flips: null,
      type: state.crash?.reason ?? null,
    }),
    crashing_thread: crashingThread,
    handles: null,
    linux_memory_map_count: state.linux?.mapCount ?? null,
    lsb_release: lsb
      ? sorted({ codename: lsb.DISTRIB_CODENAME ?? '', description: lsb.DISTRIB_DESCRIPTION ?? '', id: lsb.DISTRIB_ID ?? '', release: lsb.DISTRIB_RELEASE ?? '' })
      : null,
    mac_boot_args: null,
    mac_crash_info: null,
    main_module: state.mainModule ?? null,
    modules: state.modules.map(({ module: m, status }) =>
      sorted({
        base_addr: hex(m.base),
        cert_subject: null,
        code_id: (m.codeId ?? '').toLowerCase(),
        corrupt_symbols: status === 'corrupt',
        debug_file: baseName(m.debugFile ?? ''),
        debug_id: m.debugId ?? '',
        end_addr: hex(m.base + m.size),
        filename: baseName(m.codeFile),
        loaded_symbols: status === 'loaded',
        missing_symbols: status === 'missing',
        symbol_url: null,
        version: m.version ?? null,
      }),
    ),
    modules_contains_cert_info: false,
    pid: state.pid ?? null,
    proc_limits: null,
    process_uptime: state.processUptime ?? null,
    soft_errors: null,
    status: 'OK',
    system_info: state.system
      ? sorted({
          cpu_arch: state.system.arch,
          cpu_count: state.system.cpuCount,
          cpu_info: state.system.cpuInfo ?? null,
          cpu_microcode_version: null,
          os: state.system.osName,
          os_ver: state.system.osVersion,
        })
      : null,
    thread_count: state.threads.length,
    threads,
    unloaded_modules: [],
  });
}
