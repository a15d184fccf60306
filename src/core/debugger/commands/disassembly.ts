/** Disassembly: u. Operands are rewritten into WinDbg's spelling (`28h`, `[rbp-8]`, resolved targets). */
import { DumpError } from '../../errors.js';
import type { Instruction } from '../disassembler.js';
import { pad } from '../format.js';
import type { Command, DebuggerSession } from '../types.js';

const BRANCH = /^(call|j[a-z]+|loop[a-z]*|jmp)$/;

/** A number as WinDbg's x86 disassembler prints it: decimal below 10, else hex with `h` (leading 0 before a letter). */
function masmHex(v: bigint): string {
  if (v < 10n) return v.toString();
  const h = v.toString(16).toUpperCase();
  return `${/^[A-F]/.test(h) ? '0' : ''}${h}h`;
}

/** Rewrites Capstone's Intel operands the way WinDbg prints them, resolving rip-relative and branch targets. */
async function windbgOperands(engine: DebuggerSession, arch: string, ins: Instruction): Promise<string> {
  let ops = ins.operands.replace(/, /g, ',');
  if (arch !== 'amd64' && arch !== 'x86') return ops;
  const named = async (a: bigint): Promise<string> => {
    const sym = await engine.symbolize(a);
    return sym ? `${sym} (${engine.formatAddress(a)})` : engine.formatAddress(a);
  };
  if (BRANCH.test(ins.mnemonic) && /^0x[0-9a-f]+$/.test(ops)) return named(BigInt(ops));
  const rip = /\[rip ([+-]) 0x([0-9a-f]+)\]/.exec(ops);
  if (rip) {
    const disp = BigInt('0x' + rip[2]);
    const target = (ins.address + BigInt(ins.size) + (rip[1] === '+' ? disp : -disp)) & 0xffffffffffffffffn;
    ops = ops.replace(rip[0], `[${await named(target)}]`);
  }
  ops = ops.replace(/\[([^\]]*)\]/g, (_m, inner: string) => `[${inner.replace(/ ([+\-*]) /g, '$1')}]`);
  return ops.replace(/0x([0-9a-f]+)/g, (_m, h: string) => masmHex(BigInt('0x' + h)));
}

/** Disassembly lines at `address` (`count` instructions), with symbol headers where a symbol starts. */
export async function disassemblyLines(engine: DebuggerSession, address: bigint, count: number, headers = true): Promise<string[]> {
  const dis = await engine.disassembler();
  if (!dis) throw new DumpError('UNSUPPORTED', 'no disassembler is loaded in this session');
  const arch = engine.target.arch;
  if (arch === 'other') throw new DumpError('UNSUPPORTED', 'the disassembler knows x86, x64, ARM and ARM64 only');
  const maxLen = arch === 'amd64' || arch === 'x86' ? 15 : 4;
  const want = count * maxLen;
  const r = await engine.readUnits(address, want);
  // decode only the bytes present from the start
  let present = 0;
  while (present < want && r.valid[present]) present++;
  const lines: string[] = [];
  if (present === 0) {
    lines.push(`${engine.formatAddress(address)} ??              ???`);
    lines.push(...engine.missingNote(r.missing));
    engine.next.disasm = address;
    return lines;
  }
  const list = dis.disassemble(arch, r.bytes.subarray(0, present), address, count);
  let next = address;
  for (const ins of list) {
    if (headers) {
      const s = await engine.nearestSymbol(ins.address);
      if (s?.start === ins.address && s.name) lines.push(`${s.module.name}!${s.name}:`);
      else if (ins.address === address) {
        const sym = await engine.symbolize(address);
        if (sym) lines.push(`${sym}:`);
      }
    }
    const hexBytes = Array.from(ins.bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    const ops = await windbgOperands(engine, arch, ins);
    lines.push(`${engine.formatAddress(ins.address)} ${pad(hexBytes, 15)} ${pad(ins.mnemonic, 7)} ${ops}`.trimEnd());
    next = ins.address + BigInt(ins.size);
  }
  if (list.length < count && next - address < BigInt(present)) lines.push(`${engine.formatAddress(next)} ??              ???`);
  else if (list.length < count && r.missing) lines.push(...engine.missingNote(r.missing));
  engine.next.disasm = next;
  return lines;
}

export const DISASSEMBLY_COMMANDS: Command[] = [
  {
    names: ['u'],
    usage: 'u [ADDR] [L COUNT]',
    summary: 'disassemble (x86, x64, ARM64)',
    help:
      'Disassembles COUNT instructions (default 8) at ADDR (default: after the previous `u`, else the current pc), in WinDbg\'s layout: address, instruction bytes, mnemonic, operands (hex as `28h`, rip-relative and branch targets resolved to addresses and, where exports are known, to module!name). ' +
      'Decoding is done by Capstone (x86/x64/ARM64). Bytes not in the dump show as `??`.',
    async run(engine, { args }) {
      let start: bigint | undefined;
      let count = 8;
      const range = await engine.parseRange(args, 1);
      if (range) {
        start = range.start;
        if (range.count !== undefined) count = Math.min(Math.max(range.count, 1), 4096);
      } else start = engine.next.disasm ?? (await engine.pc());
      if (start === undefined) throw new DumpError('INVALID_ARGUMENT', 'u needs an address');
      const lines = await disassemblyLines(engine, start, count);
      return lines.join('\n');
    },
  },
];
