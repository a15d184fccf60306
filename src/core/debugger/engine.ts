/**
 * The debugger engine: opened over any dump dumpkit reads, it takes WinDbg command text and
 * returns what the debugger would print plus structured data. It keeps the session state: current
 * thread, register context (.cxr/.ecxr), current process (kernel dumps), `.ignore_missing_pages`,
 * where `d*` and `u` go on from. Shared by the CLI shell, scripts and a browser viewer; it imports
 * nothing from Node (files are written through the host's callbacks).
 */
import type { ByteSource } from '../bytes/byte-source.js';
import { detectFormat } from '../detect.js';
import { DumpError } from '../errors.js';
import { isMissing } from '../kernel/virtual.js';
import type { CodeModule } from '../symbols/types.js';
import type { MemoryReader } from '../unwind/types.js';
import { COMMANDS, findCommand } from './commands/index.js';
import type { Disassembler } from './disassembler.js';
import { evaluatePrefix, type ExpressionContext } from './expression.js';
import { addr, hexN } from './format.js';
import { KernelTarget } from './kernel-target.js';
import { MinidumpTarget } from './minidump-target.js';
import { readPeExports, type ExportedSymbol } from './pe-exports.js';
import { StackSource } from './stack.js';
import type { DebugModule, DebugThread, Registers } from './target.js';
import type { Command, CommandResult, DebuggerHost, DebuggerSession, DebugTarget, UnitRead } from './types.js';

export type { DebugTarget, UnitRead } from './types.js';

export class DebuggerEngine implements DebuggerSession {
  /** Current thread number (`~Ns`). */
  currentThread = 0;
  /** Registers set by `.cxr` / `.ecxr` (undefined: the current thread's). */
  contextOverride: { registers: Registers; what: string } | undefined;
  /** `.ignore_missing_pages`: missing pages read as zeros. */
  ignoreMissingPages = false;
  /** Where `d*` and `u` without an address go on from. */
  next: { dump?: { command: string; address: bigint }; disasm?: bigint } = {};
  /** Current stack frame (`.frame`). */
  currentFrame = 0;
  private exportCache = new Map<bigint, Promise<ExportedSymbol[]>>();
  /** The unwinder over this session (`k`, `.frame`). */
  readonly stack: StackSource = new StackSource(this);
  private disassemblerPromise: Promise<Disassembler | undefined> | undefined;

  private constructor(
    readonly target: DebugTarget,
    readonly host: DebuggerHost,
    readonly name: string,
  ) {}

  /** Opens a minidump or a kernel dump. */
  static async open(source: ByteSource, host: DebuggerHost = {}): Promise<DebuggerEngine> {
    const format = await detectFormat(source);
    const target = format === 'minidump' ? await MinidumpTarget.open(source) : await KernelTarget.open(source);
    return new DebuggerEngine(target, host, source.name);
  }

  get pointerSize(): 4 | 8 {
    return this.target.pointerSize;
  }

  get isKernel(): boolean {
    return this.target instanceof KernelTarget;
  }

  /** The kernel target, or a LIMIT error naming the command for user-mode dumps. */
  kernel(command: string): KernelTarget {
    if (this.target instanceof KernelTarget) return this.target;
    throw new DumpError('LIMIT', `${command} needs a kernel dump; this is a user-mode minidump`);
  }

  /** What WinDbg prints on opening the dump. */
  async banner(): Promise<string> {
    const lines = [`Loading Dump File [${this.name}]`, this.target.bannerLine(), ...(await this.target.bannerNotes())];
    return lines.join('\n');
  }

  /** The commands this engine knows (for help and completion). */
  commands(): readonly Command[] {
    return COMMANDS;
  }

  /** Runs one command. Never throws for a DumpError: it becomes `error` and the text WinDbg would print. */
  async execute(line: string, options: { signal?: AbortSignal } = {}): Promise<CommandResult> {
    const text = line.trim();
    if (text === '') return { text: '' };
    const signal = options.signal ?? new AbortController().signal;
    const found = findCommand(text);
    if (!found) {
      const word = text.split(/\s/)[0];
      return { text: `Unknown command: ${word} (.help lists the commands)`, error: { code: 'INVALID_ARGUMENT', message: `unknown command ${word}` } };
    }
    try {
      const r = await found.command.run(this, { args: found.args, name: found.name, signal });
      return typeof r === 'string' ? { text: r } : r;
    } catch (e) {
      if (signal.aborted && (e === signal.reason || (e instanceof Error && e.name === 'AbortError'))) {
        return { text: '^C: command stopped', error: { code: 'ABORTED', message: 'stopped by the user' } };
      }
      if (e instanceof DumpError) return { text: e.message, error: { code: e.code, message: e.message } };
      throw e;
    }
  }

  /** Splits a `-c` script at `;` outside quotes. */
  static splitCommands(script: string): string[] {
    const out: string[] = [];
    let cur = '';
    let quote = false;
    for (const c of script) {
      if (c === '"') quote = !quote;
      if (c === ';' && !quote) {
        out.push(cur);
        cur = '';
      } else cur += c;
    }
    out.push(cur);
    return out.map((s) => s.trim()).filter((s) => s !== '');
  }

  // --- state helpers used by the commands ---

  async thread(): Promise<DebugThread | undefined> {
    return (await this.target.threads())[this.currentThread];
  }

  /** Registers of the current context (`.cxr`/`.ecxr` or the current thread). */
  async registers(): Promise<Registers | undefined> {
    if (this.contextOverride) return this.contextOverride.registers;
    return (await this.thread())?.registers();
  }

  /** Instruction pointer of the current context. */
  async pc(): Promise<bigint | undefined> {
    const r = await this.registers();
    if (!r) return undefined;
    return r.rip ?? r.eip ?? r.pc;
  }

  async sp(): Promise<bigint | undefined> {
    const r = await this.registers();
    if (!r) return undefined;
    return r.rsp ?? r.esp ?? r.sp;
  }

  async disassembler(): Promise<Disassembler | undefined> {
    this.disassemblerPromise ??= this.host.disassembler ? this.host.disassembler() : Promise.resolve(undefined);
    return this.disassemblerPromise;
  }

  /** Reads memory of the current address space (zeros for missing pages with .ignore_missing_pages). */
  read(address: bigint, length: number): Promise<Uint8Array> {
    return this.target.read(address, length, { ignoreMissing: this.ignoreMissingPages });
  }

  /**
   * Reads for display: every byte the dump holds, the rest marked invalid (shown as `??`), with
   * the first reason a byte was missing.
   */
  async readUnits(address: bigint, length: number): Promise<UnitRead> {
    const bytes = new Uint8Array(length);
    const valid = new Uint8Array(length);
    let missing: DumpError | undefined;
    let done = 0;
    while (done < length) {
      const at = address + BigInt(done);
      const n = Math.min(length - done, 0x1000 - Number(at & 0xfffn));
      try {
        bytes.set(await this.read(at, n), done);
        valid.fill(1, done, done + n);
      } catch (e) {
        if (!(e instanceof DumpError) || !(isMissing(e) || e.code === 'INVALID_ARGUMENT')) throw e;
        missing ??= e;
        if (this.target instanceof MinidumpTarget) {
          // a minidump's ranges are byte-exact: keep the parts of this page it holds
          for await (const x of this.target.extents(at, at + BigInt(n))) {
            const off = done + Number(x.start - at);
            const len = Number(x.end - x.start);
            bytes.set(await this.target.read(x.start, len), off);
            valid.fill(1, off, off + len);
          }
        }
      }
      done += n;
    }
    return { bytes, valid, missing };
  }

  /** The note printed after output with unreadable memory: what is missing, and what would help. */
  missingNote(e: DumpError | undefined): string[] {
    if (!e) return [];
    const lines = [`Memory not in the dump: ${e.message}`];
    if (this.isKernel && e.code !== 'LIMIT' && !this.ignoreMissingPages) lines.push('(.ignore_missing_pages 1 reads missing pages as zeros)');
    return lines;
  }

  /** The current address space as the unwinder and PE reader read it: undefined where the dump has no bytes. */
  memoryReader(): MemoryReader {
    return {
      read: async (address, length) => {
        try {
          return await this.target.read(address, length);
        } catch (e) {
          if (e instanceof DumpError && (isMissing(e) || e.code === 'INVALID_ARGUMENT')) return undefined;
          throw e;
        }
      },
    };
  }

  /** The module holding `address`. */
  async moduleAt(address: bigint): Promise<DebugModule | undefined> {
    return (await this.target.modules()).find((m) => address >= m.base && address < m.base + m.size);
  }

  async moduleNamed(name: string): Promise<DebugModule | undefined> {
    const n = name.toLowerCase();
    return (await this.target.modules()).find((m) => m.name.toLowerCase() === n);
  }

  /** A module's exported names (read from its PE headers in memory, cached). */
  exports(m: DebugModule): Promise<ExportedSymbol[]> {
    let p = this.exportCache.get(m.base);
    if (!p) {
      p = readPeExports(this.memoryReader(), m.base);
      this.exportCache.set(m.base, p);
    }
    return p;
  }

  private codeModule(m: DebugModule): CodeModule {
    return { base: m.base, size: m.size, codeFile: m.path, debugFile: m.debugFile, debugId: m.debugId };
  }

  /**
   * The nearest symbol at or below `address`: from the host's symbol provider, else the module's
   * exports; with the following one (for `ln`).
   */
  async nearestSymbol(address: bigint): Promise<{ module: DebugModule; name?: string; start?: bigint; next?: { name: string; start: bigint } } | undefined> {
    const m = await this.moduleAt(address);
    if (!m) return undefined;
    if (this.host.symbols) {
      const s = await this.host.symbols.lookup(this.codeModule(m), address);
      if (s) return { module: m, name: s.function, start: s.functionBase };
    }
    const ex = await this.exports(m);
    let lo = 0;
    let hi = ex.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ex[mid]!.address <= address) lo = mid + 1;
      else hi = mid;
    }
    const at = ex[lo - 1];
    let nextIdx = lo;
    while (nextIdx < ex.length && at && ex[nextIdx]!.address === at.address) nextIdx++;
    const nx = ex[nextIdx];
    return { module: m, name: at?.name, start: at?.address, next: nx ? { name: nx.name, start: nx.address } : undefined };
  }

  /** `module!symbol+0x10`, `module+0x1234`, or undefined outside every module. */
  async symbolize(address: bigint): Promise<string | undefined> {
    const s = await this.nearestSymbol(address);
    if (!s) return undefined;
    if (s.name !== undefined && s.start !== undefined) {
      const off = address - s.start;
      return `${s.module.name}!${s.name}${off ? `+0x${off.toString(16)}` : ''}`;
    }
    const off = address - s.module.base;
    return `${s.module.name}${off ? `+0x${off.toString(16)}` : ''}`;
  }

  /** Address of `module` (its base) or `module!name` (an export or symbol-file name). */
  async resolveSymbol(text: string): Promise<bigint | undefined> {
    const bang = text.indexOf('!');
    const mod = await this.moduleNamed(bang < 0 ? text : text.slice(0, bang));
    if (!mod) return undefined;
    if (bang < 0) return mod.base;
    const name = text.slice(bang + 1);
    const hit = (await this.exports(mod)).find((e) => e.name === name) ?? (await this.exports(mod)).find((e) => e.name.toLowerCase() === name.toLowerCase());
    return hit?.address;
  }

  /** The expression context over this session (registers, symbols, memory). */
  expressionContext(): ExpressionContext {
    return {
      pointerSize: this.pointerSize,
      register: async (name) => {
        const regs = await this.registers();
        if (name === '$ip') return this.pc();
        if (name === '$csp') return this.sp();
        if (!regs) return undefined;
        if (name in regs) return regs[name];
        // 32-bit halves of 64-bit registers (eax of rax …)
        const wide = /^e([a-d]x|[sd]i|[sb]p|ip)$/.exec(name);
        if (wide && regs[`r${wide[1]}`] !== undefined) return regs[`r${wide[1]}`]! & 0xffffffffn;
        return undefined;
      },
      symbol: (name) => this.resolveSymbol(name),
      readNumber: async (address, size) => {
        const b = await this.read(address, size);
        let v = 0n;
        for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
        return v;
      },
    };
  }

  /** Evaluates an expression prefix of `text` (from `from`). */
  evaluatePrefix(text: string, from = 0): Promise<{ value: bigint; end: number }> {
    return evaluatePrefix(text, this.expressionContext(), from);
  }

  /**
   * Parses WinDbg's range syntax: `ADDR`, `ADDR ENDADDR`, `ADDR L COUNT`, `ADDR L?COUNT`. Returns
   * the start, the count of units (or undefined when not given), and the rest of the text.
   */
  async parseRange(text: string, unitSize: number): Promise<{ start: bigint; count: number | undefined; countBig: bigint | undefined; rest: string; large: boolean } | undefined> {
    const t = text.trim();
    if (t === '') return undefined;
    const { value: start, end } = await this.evaluatePrefix(t);
    let rest = t.slice(end).trim();
    let count: number | undefined;
    let countBig: bigint | undefined;
    let large = false;
    const lm = /^[lL](\?)?\s*/.exec(rest);
    if (lm && rest.length > lm[0].length) {
      large = !!lm[1];
      const r = await this.evaluatePrefix(rest, lm[0].length);
      countBig = r.value;
      count = Number(r.value);
      rest = rest.slice(r.end).trim();
    } else if (rest !== '' && !/^["']/.test(rest)) {
      // an end address, when what follows evaluates
      try {
        const r = await this.evaluatePrefix(rest);
        if (r.value < start) throw new DumpError('INVALID_ARGUMENT', `Range error: end ${addr(r.value, this.pointerSize)} is below start ${addr(start, this.pointerSize)}`);
        countBig = (r.value - start + BigInt(unitSize)) / BigInt(unitSize);
        count = Number(countBig);
        rest = rest.slice(r.end).trim();
      } catch (e) {
        if (!(e instanceof DumpError) || e.code !== 'INVALID_ARGUMENT' || /Range error/.test(e.message)) throw e;
      }
    }
    if (count !== undefined && !Number.isSafeInteger(count)) count = Number.MAX_SAFE_INTEGER;
    return { start, count, countBig, rest, large };
  }

  formatAddress(a: bigint): string {
    return addr(a, this.pointerSize);
  }

  /** Hex of a register for `r` (16 digits on 64-bit targets, 8 on 32-bit). */
  regHex(v: bigint): string {
    return hexN(v, this.pointerSize * 2);
  }
}
