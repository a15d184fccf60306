/**
 * Code of a modeled machine's kernel images: a few functions per image (ntoskrnl.exe, hal.dll, a
 * handful per driver) with real x64 prologues and epilogues, `call` instructions at the sites
 * their callers return to, and the metadata a debugger reads from the image itself: an export
 * table naming every modeled function, `.pdata` RUNTIME_FUNCTIONs with UNWIND_INFO matching each
 * prologue, and a CodeView (RSDS) debug directory entry. Written as literal bytes (Microsoft's PE
 * and x64 unwind layouts); the readers in src/core/pe are not used to build it.
 */
import { hash32 } from './rng.js';

/** Register numbers as unwind codes and `push` opcodes use them. */
const REG = { rax: 0, rcx: 1, rdx: 2, rbx: 3, rsp: 4, rbp: 5, rsi: 6, rdi: 7, r12: 12, r13: 13, r14: 14, r15: 15 } as const;
export type SavedRegister = 'rbx' | 'rbp' | 'rsi' | 'rdi' | 'r12' | 'r13' | 'r14' | 'r15';

/** What a prologue does, in order; each step's bytes and unwind code follow from it. */
type PrologStep =
  | { op: 'push'; reg: SavedRegister }
  | { op: 'alloc'; size: number }
  | { op: 'save'; reg: SavedRegister; offset: number }
  | { op: 'setfp'; offset: number }
  | { op: 'machframe' };

export interface Shape {
  name: string;
  steps: PrologStep[];
}

/** Prologue shapes the modeled functions use (16-byte aligned bodies: entry RSP ≡ 8 mod 16). */
export const SHAPES = {
  pushAlloc: { name: 'pushAlloc', steps: [{ op: 'push', reg: 'rbx' }, { op: 'alloc', size: 0x20 }] },
  framePointer: {
    name: 'framePointer',
    steps: [{ op: 'push', reg: 'rbp' }, { op: 'push', reg: 'rsi' }, { op: 'push', reg: 'rdi' }, { op: 'alloc', size: 0x40 }, { op: 'setfp', offset: 0x20 }],
  },
  saveNonvol: {
    name: 'saveNonvol',
    steps: [{ op: 'push', reg: 'rdi' }, { op: 'alloc', size: 0x30 }, { op: 'save', reg: 'rbx', offset: 0x28 }, { op: 'save', reg: 'rsi', offset: 0x20 }],
  },
  largeFrame: { name: 'largeFrame', steps: [{ op: 'push', reg: 'r12' }, { op: 'push', reg: 'r13' }, { op: 'alloc', size: 0x188 }] },
  manyPushes: {
    name: 'manyPushes',
    steps: [{ op: 'push', reg: 'r15' }, { op: 'push', reg: 'r14' }, { op: 'push', reg: 'r13' }, { op: 'push', reg: 'r12' }, { op: 'alloc', size: 0x28 }],
  },
  /** Entered with a machine frame on the stack (a system-call or trap entry). */
  machineFrame: { name: 'machineFrame', steps: [{ op: 'machframe' }, { op: 'alloc', size: 0x28 }] },
} as const satisfies Record<string, Shape>;

/** A call site: `direct` is `call rel32` to a named function, otherwise `call rax`. */
export interface CallSiteSpec {
  target: string | '*';
}

export interface FunctionSpec {
  name: string;
  shape: Shape;
  calls: string[];
}

/** A function as laid out in its image. */
export interface ModelFunction {
  name: string;
  shape: Shape;
  rva: number;
  size: number;
  prologSize: number;
  /** Per call target ('*' for indirect): RVA of the call instruction and of the return address after it. */
  calls: { target: string; callRva: number; returnRva: number }[];
}

const NT_FUNCTIONS: FunctionSpec[] = [
  { name: 'KiStartSystemThread', shape: SHAPES.pushAlloc, calls: ['PspSystemThreadStartup'] },
  { name: 'PspSystemThreadStartup', shape: SHAPES.saveNonvol, calls: ['*'] },
  { name: 'ExpWorkerThread', shape: SHAPES.largeFrame, calls: ['KeRemoveQueueEx'] },
  { name: 'KeRemoveQueueEx', shape: SHAPES.framePointer, calls: ['KiSwapThread'] },
  { name: 'KeWaitForSingleObject', shape: SHAPES.manyPushes, calls: ['KiSwapThread'] },
  { name: 'KeDelayExecutionThread', shape: SHAPES.saveNonvol, calls: ['KiSwapThread'] },
  { name: 'KiSwapThread', shape: SHAPES.pushAlloc, calls: ['KiSwapContext'] },
  { name: 'KiSwapContext', shape: SHAPES.manyPushes, calls: ['SwapContext'] },
  { name: 'SwapContext', shape: SHAPES.pushAlloc, calls: [] },
  { name: 'KiSystemServiceCopyEnd', shape: SHAPES.machineFrame, calls: ['*'] },
  { name: 'NtWaitForSingleObject', shape: SHAPES.pushAlloc, calls: ['KeWaitForSingleObject'] },
  { name: 'NtDelayExecution', shape: SHAPES.framePointer, calls: ['KeDelayExecutionThread'] },
  { name: 'NtDeviceIoControlFile', shape: SHAPES.largeFrame, calls: ['IofCallDriver'] },
  { name: 'IofCallDriver', shape: SHAPES.saveNonvol, calls: ['*'] },
  { name: 'KeBugCheckEx', shape: SHAPES.pushAlloc, calls: ['KeBugCheck2'] },
  { name: 'KeBugCheck2', shape: SHAPES.manyPushes, calls: [] },
  { name: 'KiIdleLoop', shape: SHAPES.framePointer, calls: ['PoIdle'] },
  { name: 'PoIdle', shape: SHAPES.saveNonvol, calls: ['hal.dll!HalProcessorIdle'] },
];
const HAL_FUNCTIONS: FunctionSpec[] = [{ name: 'HalProcessorIdle', shape: SHAPES.pushAlloc, calls: ['HalpIdleHlt'] }, { name: 'HalpIdleHlt', shape: SHAPES.pushAlloc, calls: [] }];

const DRIVER_SHAPES = [SHAPES.pushAlloc, SHAPES.framePointer, SHAPES.saveNonvol, SHAPES.largeFrame, SHAPES.manyPushes];

/** The functions an image has (ntoskrnl.exe, hal.dll, or a driver named after its stem). */
export function imageFunctions(moduleName: string, seed: number): FunctionSpec[] {
  const lower = moduleName.toLowerCase();
  if (lower === 'ntoskrnl.exe') return NT_FUNCTIONS;
  if (lower === 'hal.dll') return HAL_FUNCTIONS;
  const stem = moduleName.replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9]/g, '_');
  const shape = (k: number) => DRIVER_SHAPES[hash32(seed, k, moduleName.length * 131 + moduleName.charCodeAt(0)) % DRIVER_SHAPES.length]!;
  return [
    { name: `${stem}Worker`, shape: shape(1), calls: ['ntoskrnl.exe!KeWaitForSingleObject'] },
    { name: `${stem}DispatchDeviceControl`, shape: shape(2), calls: [`${stem}ProcessRequest`, 'ntoskrnl.exe!KeWaitForSingleObject'] },
    { name: `${stem}ProcessRequest`, shape: shape(3), calls: ['ntoskrnl.exe!KeBugCheckEx'] },
  ];
}

// ---- bytes -------------------------------------------------------------------------------

const UWOP_PUSH_NONVOL = 0;
const UWOP_ALLOC_LARGE = 1;
const UWOP_ALLOC_SMALL = 2;
const UWOP_SET_FPREG = 3;
const UWOP_SAVE_NONVOL = 4;
const UWOP_PUSH_MACHFRAME = 10;

function rex(reg: SavedRegister, base = 0x48): number[] {
  return REG[reg] >= 8 ? [base | 4] : base === 0x48 ? [0x48] : [];
}

/** Prologue bytes and the unwind codes (in prologue order, each with its end offset). */
export function prologOf(shape: Shape): { bytes: number[]; codes: { offset: number; slots: number[] }[] } {
  const bytes: number[] = [];
  const codes: { offset: number; slots: number[] }[] = [];
  for (const s of shape.steps) {
    if (s.op === 'push') {
      if (REG[s.reg] >= 8) bytes.push(0x41);
      bytes.push(0x50 + (REG[s.reg] & 7));
      codes.push({ offset: bytes.length, slots: [bytes.length | ((UWOP_PUSH_NONVOL | (REG[s.reg] << 4)) << 8)] });
    } else if (s.op === 'alloc') {
      if (s.size < 0x80) {
        bytes.push(0x48, 0x83, 0xec, s.size);
        codes.push({ offset: bytes.length, slots: [bytes.length | ((UWOP_ALLOC_SMALL | (((s.size - 8) / 8) << 4)) << 8)] });
      } else {
        bytes.push(0x48, 0x81, 0xec, s.size & 0xff, (s.size >> 8) & 0xff, 0, 0);
        codes.push({ offset: bytes.length, slots: [bytes.length | (UWOP_ALLOC_LARGE << 8), s.size / 8] });
      }
    } else if (s.op === 'save') {
      // mov [rsp+disp8], reg
      bytes.push(...rex(s.reg, 0x48), 0x89, 0x44 | ((REG[s.reg] & 7) << 3), 0x24, s.offset);
      codes.push({ offset: bytes.length, slots: [bytes.length | ((UWOP_SAVE_NONVOL | (REG[s.reg] << 4)) << 8), s.offset / 8] });
    } else if (s.op === 'setfp') {
      // lea rbp, [rsp+disp8]
      bytes.push(0x48, 0x8d, 0x6c, 0x24, s.offset);
      codes.push({ offset: bytes.length, slots: [bytes.length | (UWOP_SET_FPREG << 8)] });
    } else {
      codes.push({ offset: 0, slots: [0 | (UWOP_PUSH_MACHFRAME << 8)] });
    }
  }
  return { bytes, codes };
}

/** The epilogue undoing a prologue, ending in `ret` (`iretq` after a machine frame). */
function epilogOf(shape: Shape): number[] {
  const out: number[] = [];
  const steps = [...shape.steps].reverse();
  for (const s of steps) {
    if (s.op === 'save') out.push(...rex(s.reg, 0x48), 0x8b, 0x44 | ((REG[s.reg] & 7) << 3), 0x24, s.offset);
  }
  for (const s of steps) {
    if (s.op === 'alloc') out.push(...(s.size <= 0x7f ? [0x48, 0x83, 0xc4, s.size] : [0x48, 0x81, 0xc4, s.size & 0xff, (s.size >> 8) & 0xff, 0, 0]));
    else if (s.op === 'push') out.push(...(REG[s.reg] >= 8 ? [0x41] : []), 0x58 + (REG[s.reg] & 7));
  }
  out.push(...(shape.steps.some((s) => s.op === 'machframe') ? [0x48, 0xcf] : [0xc3]));
  return out;
}

/** UNWIND_INFO bytes of a shape (version 1, codes in reverse prologue order). */
export function unwindInfoBytes(shape: Shape): Uint8Array {
  const { bytes, codes } = prologOf(shape);
  const slots = [...codes].reverse().flatMap((c) => c.slots);
  const setfp = shape.steps.find((s) => s.op === 'setfp');
  const out = new Uint8Array(4 + ((slots.length + 1) & ~1) * 2);
  out[0] = 1;
  out[1] = bytes.length;
  out[2] = slots.length;
  out[3] = setfp && setfp.op === 'setfp' ? REG.rbp | ((setfp.offset / 16) << 4) : 0;
  slots.forEach((s, i) => {
    out[4 + i * 2] = s & 0xff;
    out[5 + i * 2] = (s >> 8) & 0xff;
  });
  return out;
}

/** Lays out an image's functions from RVA 0x1000 (16-byte aligned); bytes come later (calls need targets). */
export function layoutFunctions(specs: FunctionSpec[]): ModelFunction[] {
  let rva = 0x1000;
  return specs.map((spec) => {
    const { bytes } = prologOf(spec.shape);
    let at = bytes.length + 8; // a few body bytes before the first call
    const calls = spec.calls.map((target) => {
      const callRva = rva + at;
      const len = target === '*' ? 2 : 5;
      at += len + 12;
      return { target, callRva, returnRva: callRva + len };
    });
    const size = (at + 8 + epilogOf(spec.shape).length + 15) & ~15;
    const f: ModelFunction = { name: spec.name, shape: spec.shape, rva, size, prologSize: bytes.length, calls };
    rva += size;
    return f;
  });
}

/** The code bytes of laid-out functions (from RVA 0x1000), with call targets resolved by `resolve`. */
export function functionCode(fns: ModelFunction[], base: bigint, resolve: (target: string) => bigint | undefined): Uint8Array {
  const end = fns.length ? fns[fns.length - 1]!.rva + fns[fns.length - 1]!.size : 0x1000;
  const code = new Uint8Array(end - 0x1000).fill(0xcc);
  for (const f of fns) {
    const at = f.rva - 0x1000;
    code.fill(0x90, at, at + f.size - 1); // body: nops
    code.set(prologOf(f.shape).bytes, at);
    for (const c of f.calls) {
      const o = c.callRva - 0x1000;
      if (c.target === '*') code.set([0xff, 0xd0], o); // call rax
      else {
        const target = resolve(c.target);
        if (target === undefined) throw new Error(`model: call target ${c.target} of ${f.name} not found`);
        const rel = Number(target - (base + BigInt(c.returnRva)));
        code[o] = 0xe8;
        new DataView(code.buffer).setInt32(o + 1, rel, true);
      }
    }
    const epi = epilogOf(f.shape);
    code.set(epi, at + f.size - epi.length);
  }
  return code;
}

export interface ImageMetadata {
  /** Exports, UNWIND_INFO and the debug directory (the image's .rdata), from `rva`. */
  bytes: Uint8Array;
  /** RUNTIME_FUNCTION entries (the image's .pdata), from `pdataRva`. */
  pdata: Uint8Array;
  exportDirectory: { rva: number; size: number };
  exceptionDirectory: { rva: number; size: number };
  debugDirectory: { rva: number; size: number };
}

/**
 * Export directory (every function by name, ordinal base 1), UNWIND_INFO and a debug directory
 * with an RSDS record laid out from `rva`; `.pdata` for `pdataRva` (literal IMAGE_* layouts).
 */
export function imageMetadata(dllName: string, fns: ModelFunction[], rva: number, pdataRva: number, seed: number, timeDateStamp: number): ImageMetadata {
  const out: number[] = [];
  const w32 = (at: number, v: number) => {
    out[at] = v & 0xff;
    out[at + 1] = (v >>> 8) & 0xff;
    out[at + 2] = (v >>> 16) & 0xff;
    out[at + 3] = (v >>> 24) & 0xff;
  };
  const align = (n: number) => {
    while (out.length % n) out.push(0);
  };
  const sorted = [...fns].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // IMAGE_EXPORT_DIRECTORY (40 bytes), then the three arrays, then the strings.
  const exp = out.length;
  for (let i = 0; i < 40; i++) out.push(0);
  const funcs = out.length;
  for (let i = 0; i < fns.length * 4; i++) out.push(0);
  const names = out.length;
  for (let i = 0; i < fns.length * 4; i++) out.push(0);
  const ords = out.length;
  for (let i = 0; i < fns.length * 2; i++) out.push(0);
  const dllNameAt = out.length;
  for (const ch of dllName) out.push(ch.charCodeAt(0) & 0x7f);
  out.push(0);
  fns.forEach((f, i) => w32(funcs + i * 4, f.rva));
  sorted.forEach((f, i) => {
    w32(names + i * 4, rva + out.length);
    for (const ch of f.name) out.push(ch.charCodeAt(0));
    out.push(0);
    const idx = fns.indexOf(f);
    out[ords + i * 2] = idx & 0xff;
    out[ords + i * 2 + 1] = idx >> 8;
  });
  const expEnd = out.length;
  w32(exp + 4, timeDateStamp);
  w32(exp + 12, rva + dllNameAt);
  w32(exp + 16, 1); // Base
  w32(exp + 20, fns.length);
  w32(exp + 24, fns.length);
  w32(exp + 28, rva + funcs);
  w32(exp + 32, rva + names);
  w32(exp + 36, rva + ords);
  // UNWIND_INFO per function (4-byte aligned), then .pdata (sorted by BeginAddress).
  const unwindAt: number[] = [];
  for (const f of fns) {
    align(4);
    unwindAt.push(rva + out.length);
    out.push(...unwindInfoBytes(f.shape));
  }
  const pdata = new Uint8Array(fns.length * 12);
  const pv = new DataView(pdata.buffer);
  fns.forEach((f, i) => {
    pv.setUint32(i * 12, f.rva, true);
    pv.setUint32(i * 12 + 4, f.rva + f.size, true);
    pv.setUint32(i * 12 + 8, unwindAt[i]!, true);
  });
  // IMAGE_DEBUG_DIRECTORY (28 bytes) → RSDS: GUID, age, PDB name.
  align(4);
  const dbg = out.length;
  for (let i = 0; i < 28; i++) out.push(0);
  const rsds = out.length;
  const pdb = dllName.toLowerCase() === 'ntoskrnl.exe' ? 'ntkrnlmp.pdb' : dllName.replace(/\.[^.]+$/, '') + '.pdb';
  out.push(0x52, 0x53, 0x44, 0x53);
  for (let i = 0; i < 4; i++) w32(out.length, hash32(seed, timeDateStamp, i + dllName.length * 7));
  out.push(1, 0, 0, 0);
  for (const ch of pdb) out.push(ch.charCodeAt(0));
  out.push(0);
  w32(dbg + 4, timeDateStamp);
  w32(dbg + 12, 2); // IMAGE_DEBUG_TYPE_CODEVIEW
  w32(dbg + 16, out.length - rsds);
  w32(dbg + 20, rva + rsds);
  return {
    bytes: Uint8Array.from(out, (b) => b ?? 0),
    pdata,
    exportDirectory: { rva: rva + exp, size: expEnd - exp },
    exceptionDirectory: { rva: pdataRva, size: pdata.length },
    debugDirectory: { rva: rva + dbg, size: 28 },
  };
}

/** Saved registers a shape's prologue stores (push or mov), for the stack builder. */
export function savedRegisters(shape: Shape): SavedRegister[] {
  return shape.steps.flatMap((s) => (s.op === 'push' || s.op === 'save' ? [s.reg] : []));
}
