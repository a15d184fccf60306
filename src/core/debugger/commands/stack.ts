/** Stacks and analysis: k, kb, kn, kv, kp, .frame, !analyze. */
import { analyzeDump, formatAnalysis } from '../../analysis/analyze.js';
import { Diagnostics } from '../../diagnostics.js';
import { DumpError } from '../../errors.js';
import { TRUST_DESCRIPTIONS } from '../../processor/text.js';
import type { StackFrame } from '../../unwind/types.js';
import type { Command, DebuggerSession } from '../types.js';
import { registerLines } from './threads.js';

const INLINE = '(Inline Function) --------`--------';

/** `module!function+0xoff` for a frame, with the module names `lm` uses. */
async function callSite(engine: DebuggerSession, f: StackFrame): Promise<string> {
  const mod = await engine.moduleAt(f.instruction);
  if (f.symbol) {
    const off = f.instruction - f.symbol.functionBase;
    const src = f.symbol.file ? ` [${f.symbol.file} @ ${f.symbol.line}]` : '';
    return `${mod ? mod.name + '!' : ''}${f.symbol.function}${off ? `+0x${off.toString(16)}` : ''}${src}`;
  }
  return (await engine.symbolize(f.instruction)) ?? engine.formatAddress(f.instruction);
}

function spOf(f: StackFrame): bigint | undefined {
  return f.registers.rsp ?? f.registers.esp ?? f.registers.sp;
}

/** One frame line in the layout of `k`/`kb`/`kn`/`kv` (WinDbg's columns; x86 shows ChildEBP). */
export async function frameLine(engine: DebuggerSession, frames: StackFrame[], i: number, opts: { numbers: boolean; args: boolean; verbose: boolean }): Promise<string[]> {
  const f = frames[i]!;
  const a = (v: bigint | undefined): string => (v === undefined ? '?'.repeat(engine.pointerSize === 8 ? 17 : 8) : engine.formatAddress(v));
  const x86 = engine.target.arch === 'x86';
  const child = x86 ? f.registers.ebp : spOf(f);
  const ret = frames[i + 1]?.instruction ?? 0n;
  const num = (n: number): string => (opts.numbers ? `${n.toString(16).padStart(2, '0')} ` : '');
  const out: string[] = [];
  for (const inl of f.inlines ?? []) {
    const mod = await engine.moduleAt(f.instruction);
    out.push(`${num(i)}${INLINE} ${INLINE}     ${mod ? mod.name + '!' : ''}${inl.function}${inl.file ? ` [${inl.file} @ ${inl.line}]` : ''}`);
  }
  let args: string[] | undefined;
  if (opts.args && child !== undefined) {
    // x64/ARM64: the four home slots above the return address; x86: the first three stack arguments above ebp
    const n = x86 ? 3 : 4;
    const r = await engine.readUnits(x86 ? child + 8n : child + BigInt(engine.pointerSize), n * engine.pointerSize);
    args = [];
    for (let k = 0; k < n; k++) {
      const off = k * engine.pointerSize;
      let v = 0n;
      let ok = true;
      for (let b = engine.pointerSize - 1; b >= 0; b--) {
        ok &&= r.valid[off + b] === 1;
        v = (v << 8n) | BigInt(r.bytes[off + b]!);
      }
      args.push(ok ? engine.formatAddress(v) : a(undefined));
    }
  }
  const site = await callSite(engine, f);
  const info = opts.verbose ? `  (${TRUST_DESCRIPTIONS[f.trust]})` : '';
  const cols = `${num(i)}${a(child)} ${a(ret)}`;
  if (x86) out.push(`${cols} ${args ? args.join(' ') + ' ' : ''}${site}${info}`);
  else if (opts.args) out.push(`${cols} : ${(args ?? []).join(' ')} : ${site}${info}`);
  else out.push(`${cols}     ${site}${info}`);
  return out;
}

export function header(engine: DebuggerSession, opts: { numbers: boolean; args: boolean }): string {
  const n = opts.numbers ? ' # ' : '';
  if (engine.target.arch === 'x86') return `${n}ChildEBP RetAddr  ${opts.args ? 'Args to Child              ' : ''}`.trimEnd();
  return opts.args
    ? `${n}Child-SP          RetAddr           : Args to Child                                                           : Call Site`
    : `${n}Child-SP          RetAddr               Call Site`;
}

async function stackCommand(engine: DebuggerSession, name: string, args: string): Promise<{ text: string; data: unknown }> {
  const opts = { numbers: name === 'kn' || /n/.test(args.replace(/[^a-z]/gi, '')), args: name === 'kb' || name === 'kv' || name === 'kp', verbose: name === 'kv' };
  const m = /(?:^|\s)(?:0n)?([0-9a-f]+)\s*$/i.exec(args.trim());
  const count = m ? Math.min(Number(args.trim().startsWith('0n') ? m[1] : parseInt(m[1]!, 16)), 1024) : 256;
  const stack = await engine.stack.current();
  const frames = stack.frames.slice(0, count);
  const lines = [header(engine, opts)];
  for (let i = 0; i < frames.length; i++) lines.push(...(await frameLine(engine, stack.frames, i, opts)));
  if (stack.end !== 'end-of-stack' && stack.frames.length <= count) lines.push(`(the walk stopped: ${stack.endReason ?? stack.end})`);
  return { text: lines.join('\n'), data: stack };
}

function kCommand(name: string, what: string): Command {
  return {
    names: [name],
    usage: `${name} [COUNT]`,
    summary: what,
    help:
      `${what.charAt(0).toUpperCase() + what.slice(1)}. The stack of the current thread (~Ns) from the current register context (the thread's, or .ecxr's / .cxr's), walked by dumpkit's unwinder: ` +
      'CFI from Breakpad symbol files (--symbols) and x64 PE unwind data in the dump, frame pointers, then stack scanning. ' +
      'Columns as WinDbg prints them: Child-SP (x86: ChildEBP), RetAddr, then for kb/kv the first four argument slots (x86: three arguments), and the call site as module!function+0xoffset (module+0xoffset without symbols). ' +
      'kn numbers the frames (for .frame); kv adds how each frame was found (context, call frame info, frame pointer, stack scanning). COUNT (hex, default all up to 256) limits the frames. A walk that stops early says why (e.g. the dump\'s limit).',
    async run(engine, { args }) {
      return stackCommand(engine, name, args);
    },
  };
}

export const STACK_COMMANDS: Command[] = [
  kCommand('k', 'the call stack'),
  kCommand('kb', 'the call stack with the first arguments'),
  kCommand('kn', 'the call stack with frame numbers'),
  kCommand('kv', 'the call stack with arguments and how each frame was found'),
  {
    names: ['.frame'],
    usage: '.frame [/r] [N]',
    summary: 'select a stack frame (/r: with its registers)',
    help: 'Makes frame N (hex, as kn numbers them) the current frame and shows it; without N shows the current one. With /r, also the registers the unwinder recovered for that frame (those it could not recover show as ?).',
    async run(engine, { args }) {
      let a = args.trim();
      const showRegs = /^\/r\b/.test(a);
      if (showRegs) a = a.slice(2).trim();
      const stack = await engine.stack.current();
      if (a) {
        const n = parseInt(a.replace(/^0x/i, ''), 16);
        if (!Number.isSafeInteger(n) || n < 0 || n >= stack.frames.length) throw new DumpError('INVALID_ARGUMENT', `Frame ${a} is out of range: the stack has ${stack.frames.length} frames`);
        engine.currentFrame = n;
      }
      const i = Math.min(engine.currentFrame, Math.max(stack.frames.length - 1, 0));
      if (stack.frames.length === 0) throw new DumpError('MISSING_STREAM', `no frames: ${stack.endReason ?? stack.end}`);
      const lines = await frameLine(engine, stack.frames, i, { numbers: true, args: false, verbose: false });
      if (showRegs) lines.push(...registerLines(engine.target.arch, stack.frames[i]!.registers));
      return { text: lines.join('\n'), data: stack.frames[i] };
    },
  },
  {
    names: ['!analyze'],
    usage: '!analyze [-v]',
    summary: 'why the program or system died',
    help:
      'Runs dumpkit\'s analysis (the same as `dumpkit analyze`): the exception or bug check with its parameters explained, the faulting instruction and module, the crashing stack, a stable signature and bucket, and what the dump cannot answer. -v is accepted (the report is always the verbose one).',
    async run(engine) {
      const a = await analyzeDump(engine.target.source, { diagnostics: new Diagnostics(), ...(engine.host.symbols ? { symbols: engine.host.symbols } : {}) });
      return { text: formatAnalysis(a), data: a };
    },
  },
];
