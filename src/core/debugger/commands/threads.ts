/** Threads and registers: ~, r, .exr, .ecxr, .cxr. */
import { DumpError } from '../../errors.js';
import { parseContext as parseKernelContext } from '../../kernel/context.js';
import { ProcessorArchitecture } from '../../minidump/constants.js';
import { parseContext as parseMinidumpContext } from '../../minidump/context/index.js';
import { addr64, hexN } from '../format.js';
import { MinidumpTarget } from '../minidump-target.js';
import { normalizeRegisters, type Registers } from '../target.js';
import type { Command, DebuggerSession } from '../types.js';
import { disassemblyLines } from './disassembly.js';

/** WinDbg's words for the common Windows exception codes. */
const EXCEPTION_TEXT: Record<number, string> = {
  0xc0000005: 'Access violation',
  0x80000003: 'Break instruction exception',
  0x80000004: 'Single step exception',
  0xc00000fd: 'Stack overflow',
  0xc0000409: 'Security check failure or stack buffer overrun',
  0xc000001d: 'Illegal instruction',
  0xc0000094: 'Integer divide-by-zero',
  0xc0000096: 'Privileged instruction',
  0xc0000374: 'Heap corruption',
  0xe06d7363: 'C++ EH exception',
  0xc0000006: 'In-page I/O error',
  0x80000002: 'Data misaligned',
};

export function exceptionText(code: number, name?: string): string {
  return EXCEPTION_TEXT[code >>> 0] ?? name ?? 'Unknown exception';
}

/** The `efl` flags as WinDbg spells them: `nv up ei pl zr na po nc`. */
export function flagsText(efl: bigint): string {
  const b = (n: number): boolean => ((efl >> BigInt(n)) & 1n) === 1n;
  return [b(11) ? 'ov' : 'nv', b(10) ? 'dn' : 'up', b(9) ? 'ei' : 'di', b(7) ? 'ng' : 'pl', b(6) ? 'zr' : 'nz', b(4) ? 'ac' : 'na', b(2) ? 'pe' : 'po', b(0) ? 'cy' : 'nc'].join(' ');
}

const SEGS = ['cs', 'ss', 'ds', 'es', 'fs', 'gs'];

/** The register block of `r`, per architecture, in WinDbg's layout. */
export function registerLines(arch: string, r: Registers): string[] {
  const v = (n: string, digits: number): string => (r[n] === undefined ? '?'.repeat(digits) : hexN(r[n]!, digits));
  const segs = (): string => SEGS.map((s) => `${s}=${v(s, 4)}`).join('  ');
  if (arch === 'amd64') {
    const f = (n: string): string => `${n.padStart(3)}=${v(n, 16)}`;
    const efl = r.efl ?? 0n;
    return [
      ['rax', 'rbx', 'rcx'].map(f).join(' '),
      ['rdx', 'rsi', 'rdi'].map(f).join(' '),
      ['rip', 'rsp', 'rbp'].map(f).join(' '),
      [' r8', ' r9', 'r10'].map((n) => f(n.trim()).padStart(20)).join(' '),
      ['r11', 'r12', 'r13'].map(f).join(' '),
      ['r14', 'r15'].map(f).join(' '),
      `iopl=${(efl >> 12n) & 3n}         ${flagsText(efl)}`,
      `${segs()}             efl=${v('efl', 8)}`,
    ];
  }
  if (arch === 'x86') {
    const f = (n: string): string => `${n}=${v(n, 8)}`;
    const efl = r.efl ?? 0n;
    return [
      ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi'].map(f).join(' '),
      `${['eip', 'esp', 'ebp'].map(f).join(' ')} iopl=${(efl >> 12n) & 3n}         ${flagsText(efl)}`,
      `${segs()}             efl=${v('efl', 8)}`,
    ];
  }
  if (arch === 'arm64') {
    const names = [...Array.from({ length: 29 }, (_, i) => `x${i}`), 'fp', 'lr', 'sp', 'pc'];
    const lines: string[] = [];
    for (let i = 0; i < names.length; i += 4) lines.push(names.slice(i, i + 4).map((n) => `${n.padStart(3)}=${v(n, 16)}`).join('   '));
    lines.push(`cpsr=${v('cpsr', 8)}`);
    return lines;
  }
  return Object.entries(r).map(([k, x]) => `${k}=${hexN(x, 16)}`);
}

/** `r` output: the registers and the current instruction. */
export async function registerDump(engine: DebuggerSession, regs: Registers): Promise<string> {
  const lines = registerLines(engine.target.arch, regs);
  const pc = regs.rip ?? regs.eip ?? regs.pc;
  if (pc !== undefined) {
    const sym = await engine.symbolize(pc);
    const dis = await disassemblyLines(engine, pc, 1, false).catch((e) => {
      if (e instanceof DumpError) return [];
      throw e;
    });
    if (dis.length) {
      if (sym) lines.push(`${sym}:`);
      lines.push(...dis);
    }
    // as in WinDbg, `u` without an address then starts at the pc
    engine.next.disasm = pc;
  }
  return lines.join('\n');
}

async function threadLine(engine: DebuggerSession, index: number, eventTid: number | undefined, current = engine.currentThread): Promise<string> {
  const threads = await engine.target.threads();
  const t = threads[index]!;
  const mark = index === current ? '.' : t.id === eventTid ? '#' : ' ';
  const pid = engine.target instanceof MinidumpTarget ? await engine.target.processId() : undefined;
  if (engine.isKernel) return `${mark}${String(index).padStart(3)}  Processor context from the dump header (the processor that bug-checked)`;
  const teb = t.teb !== undefined ? (engine.pointerSize === 8 ? addr64(t.teb) : hexN(t.teb, 8)) : '?';
  return `${mark}${String(index).padStart(3)}  Id: ${pid !== undefined ? pid.toString(16) : '0'}.${t.id.toString(16)} Suspend: ${t.suspendCount ?? 0} Teb: ${teb} Unfrozen${t.name ? ` "${t.name}"` : ''}`;
}

export const THREAD_COMMANDS: Command[] = [
  {
    names: ['~'],
    usage: '~ | ~N | ~Ns | ~~[TID]s | ~* | ~* CMD',
    summary: 'list threads; ~Ns makes thread N current',
    help: 'Lists the threads of the dump: number, process.thread ids (hex), suspend count, TEB, name. `.` marks the current thread, `#` the one the exception happened on. `~Ns` switches to thread N (and shows its registers); `~~[TID]s` switches by thread id; `~N` shows one thread; `~*` lists all with their pc and stack range; `~* CMD` / `~N CMD` runs CMD in each thread (or thread N) and goes back (`~* k`, `~1 r`). A kernel dump has one context: the processor that bug-checked.',
    async run(engine, { args, signal }) {
      const threads = await engine.target.threads();
      const eventTid = (await engine.target.exception())?.threadId;
      // ~* CMD, ~N CMD: run a command in each (or one) thread's context, as WinDbg does
      const each = /^(\*|\d+)\s*([^\ds\s].*|s\S.*)$/.exec(args.trim());
      if (each && each[2]!.trim() !== '') {
        const which = each[1] === '*' ? threads.map((t) => t.index) : [Number(each[1])];
        if (which.some((i) => i >= threads.length)) throw new DumpError('INVALID_ARGUMENT', `Illegal thread error in '~${args}': there are ${threads.length} threads`);
        const saved = { thread: engine.currentThread, override: engine.contextOverride, frame: engine.currentFrame };
        const out: string[] = [];
        try {
          for (const i of which) {
            engine.currentThread = i;
            engine.contextOverride = undefined;
            engine.currentFrame = 0;
            out.push('', await threadLine(engine, i, eventTid, saved.thread));
            const r = await engine.execute(each[2]!, { signal });
            out.push(r.text);
          }
        } finally {
          engine.currentThread = saved.thread;
          engine.contextOverride = saved.override;
          engine.currentFrame = saved.frame;
        }
        return out.join('\n').replace(/^\n/, '');
      }
      const a = args.replace(/\s+/g, '');
      if (a === '') {
        const lines: string[] = [];
        for (let i = 0; i < threads.length; i++) lines.push(await threadLine(engine, i, eventTid));
        return { text: lines.join('\n'), data: threads.map((t) => ({ index: t.index, id: t.id, teb: t.teb, name: t.name })) };
      }
      if (a === '*') {
        const lines: string[] = [];
        for (let i = 0; i < threads.length; i++) {
          lines.push(await threadLine(engine, i, eventTid));
          const t = threads[i]!;
          const regs = await t.registers().catch(() => undefined);
          const pc = regs ? (regs.rip ?? regs.eip ?? regs.pc) : undefined;
          if (pc !== undefined) lines.push(`      pc ${engine.formatAddress(pc)} ${(await engine.symbolize(pc)) ?? ''}`.trimEnd());
          if (t.stack) lines.push(`      stack ${engine.formatAddress(t.stack.start)} - ${engine.formatAddress(t.stack.start + BigInt(t.stack.size))}`);
        }
        return lines.join('\n');
      }
      let m = /^~\[?(?:0x)?([0-9a-fA-F]+)\]?s$/.exec(a);
      let index: number | undefined;
      if (m) {
        const tid = parseInt(m[1]!, 16);
        index = threads.findIndex((t) => t.id === tid);
        if (index < 0) throw new DumpError('INVALID_ARGUMENT', `Illegal thread error in '~~[${m[1]}]s': no thread with id ${tid.toString(16)}`);
      } else {
        m = /^(\d+)(s?)$/.exec(a);
        if (!m) throw new DumpError('INVALID_ARGUMENT', `Syntax error in '~${args}'`);
        index = Number(m[1]);
        if (index >= threads.length) throw new DumpError('INVALID_ARGUMENT', `Illegal thread error in '~${args}': there are ${threads.length} threads`);
        if (m[2] !== 's') return threadLine(engine, index, eventTid);
      }
      engine.currentThread = index;
      engine.contextOverride = undefined;
      engine.currentFrame = 0;
      const regs = await threads[index]!.registers();
      return regs ? registerDump(engine, regs) : `thread ${index} has no context in the dump`;
    },
  },
  {
    names: ['r'],
    usage: 'r [REG[,REG…]]',
    summary: 'registers of the current thread (or context)',
    help: 'Without an argument, shows all registers of the current context in WinDbg\'s layout (flags as `nv up ei pl zr na po nc`) and the instruction at the pc. With names (`r rip`, `r rax,rcx`), shows just those. The context is the current thread\'s, or the one set by `.ecxr` / `.cxr`. Registers cannot be changed (a dump is read-only).',
    async run(engine, { args }) {
      const regs = await engine.registers();
      if (!regs) throw new DumpError('MISSING_STREAM', `thread ${engine.currentThread} has no register context in the dump`);
      const names = args.split(/[\s,]+/).filter(Boolean).map((n) => n.replace(/^@/, '').toLowerCase());
      if (names.length === 0) return { text: await registerDump(engine, regs), data: regs };
      const out: string[] = [];
      for (const n of names) {
        if (n.includes('=')) throw new DumpError('REFUSED', 'registers of a dump cannot be changed');
        const v = await engine.expressionContext().register(n);
        if (v === undefined) throw new DumpError('INVALID_ARGUMENT', `Bad register error at '${n}'`);
        out.push(`${n}=${n === 'efl' ? hexN(v, 8) : engine.regHex(v)}`);
      }
      return out.join(' ');
    },
  },
  {
    names: ['.exr'],
    usage: '.exr -1 | .exr ADDR',
    summary: 'the exception record',
    help: '`.exr -1` shows the exception the dump stores (address, code, flags, parameters, and for an access violation what was accessed). `.exr ADDR` decodes an EXCEPTION_RECORD in memory.',
    async run(engine, { args }) {
      const a = args.trim();
      let ex: { code: number; flags: number; address: bigint; parameters: bigint[]; name?: string };
      if (a === '-1' || a === '') {
        const stored = await engine.target.exception();
        if (!stored) throw new DumpError('MISSING_STREAM', 'the dump stores no exception (no exception stream / exception record)');
        ex = stored;
      } else {
        const at = (await engine.evaluatePrefix(a)).value;
        const ps = engine.pointerSize;
        const size = ps === 8 ? 0x98 : 0x50;
        const b = await engine.read(at, size);
        const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
        const word = (off: number): bigint => (ps === 8 ? v.getBigUint64(off, true) : BigInt(v.getUint32(off, true)));
        const n = Math.min(v.getUint32(ps === 8 ? 0x18 : 0x10, true), 15);
        const params: bigint[] = [];
        for (let i = 0; i < n; i++) params.push(word((ps === 8 ? 0x20 : 0x14) + i * ps));
        ex = { code: v.getUint32(0, true), flags: v.getUint32(4, true), address: word(ps === 8 ? 0x10 : 0xc), parameters: params };
      }
      const sym = await engine.symbolize(ex.address);
      const lines = [
        `ExceptionAddress: ${engine.regHex(ex.address)}${sym ? ` (${sym})` : ''}`,
        `   ExceptionCode: ${hexN(ex.code, 8)} (${exceptionText(ex.code, ex.name)})`,
        `  ExceptionFlags: ${hexN(ex.flags, 8)}`,
        `NumberParameters: ${ex.parameters.length}`,
        ...ex.parameters.map((p, i) => `   Parameter[${i}]: ${engine.regHex(p)}`),
      ];
      if ((ex.code >>> 0) === 0xc0000005 && ex.parameters.length >= 2) {
        const kind = ex.parameters[0] === 0n ? 'read from' : ex.parameters[0] === 1n ? 'write to' : ex.parameters[0] === 8n ? 'execute non-executable' : 'access';
        lines.push(`Attempt to ${kind} address ${engine.regHex(ex.parameters[1]!)}`);
      }
      return { text: lines.join('\n'), data: ex };
    },
  },
  {
    names: ['.ecxr'],
    usage: '.ecxr',
    summary: 'switch to the context of the stored exception',
    help: 'Makes the register context stored with the exception (where the fault happened) the current one, and shows it. `.cxr` without an argument goes back to the thread\'s own context.',
    async run(engine) {
      const ex = await engine.target.exception();
      if (!ex?.registers) throw new DumpError('MISSING_STREAM', 'Unable to get exception context: the dump stores no exception context');
      const regs = await ex.registers();
      if (!regs) throw new DumpError('MISSING_STREAM', 'Unable to get exception context: the exception\'s context is empty');
      const threads = await engine.target.threads();
      const i = threads.findIndex((t) => t.id === ex.threadId);
      if (i >= 0) engine.currentThread = i;
      engine.contextOverride = { registers: regs, what: 'exception context' };
      engine.currentFrame = 0;
      return { text: await registerDump(engine, regs), data: regs };
    },
  },
  {
    names: ['.cxr'],
    usage: '.cxr [ADDR]',
    summary: 'use a CONTEXT record in memory as the register context',
    help: 'With an address, decodes the CONTEXT record there (the target\'s layout: AMD64, x86 or ARM64) and makes it the current register context. Without one, goes back to the current thread\'s context.',
    async run(engine, { args }) {
      if (!args.trim()) {
        engine.contextOverride = undefined;
        return 'Resetting default scope';
      }
      const at = (await engine.evaluatePrefix(args.trim())).value;
      const arch = engine.target.arch;
      let regs: Registers | undefined;
      if (engine.isKernel) {
        if (arch !== 'amd64' && arch !== 'x86' && arch !== 'arm64') throw new DumpError('UNSUPPORTED', `no CONTEXT layout for ${arch}`);
        const size = arch === 'amd64' ? 0x4d0 : arch === 'x86' ? 0x2cc : 0x390;
        regs = normalizeRegisters(parseKernelContext(arch, await engine.read(at, size), 0).registers);
      } else {
        const size = arch === 'amd64' ? 0x4d0 : arch === 'x86' ? 0x2cc : arch === 'arm64' ? 0x390 : 0x1a0;
        const pa = arch === 'amd64' ? ProcessorArchitecture.PROCESSOR_ARCHITECTURE_AMD64 : arch === 'x86' ? ProcessorArchitecture.PROCESSOR_ARCHITECTURE_INTEL : arch === 'arm64' ? ProcessorArchitecture.PROCESSOR_ARCHITECTURE_ARM64 : ProcessorArchitecture.PROCESSOR_ARCHITECTURE_ARM;
        const c = parseMinidumpContext(await engine.read(at, size), pa);
        if (!c) throw new DumpError('INVALID_ARGUMENT', `no CONTEXT record at ${engine.formatAddress(at)}`);
        regs = normalizeRegisters(c.registers);
      }
      engine.contextOverride = { registers: regs, what: `.cxr ${engine.formatAddress(at)}` };
      engine.currentFrame = 0;
      return { text: await registerDump(engine, regs), data: regs };
    },
  },
];

