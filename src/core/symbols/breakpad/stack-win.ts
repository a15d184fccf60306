// STACK WIN <type> <rva> <code size> <prolog> <epilog> <params> <saved regs> <locals> <max stack>
// <has program string> <program string | allocates base pointer>: x86 Windows frame data from a PDB.
import type { StackWinRecord } from '../types.js';
import { parseHexField, tokenize } from './text.js';

/** Types Breakpad stores (its STACK_INFO_LAST is 5); it looks up only FRAME_DATA (4), then FPO (0). */
export const STACK_INFO_FPO = 0;
export const STACK_INFO_FRAME_DATA = 4;

export interface StackWinParsed {
  type: number;
  rva: number;
  codeSize: number;
  record: StackWinRecord;
}

/** Parses the text after `STACK WIN ` as WindowsFrameInfo::ParseFromString does (11 fields, all hex). */
export function parseStackWinRecord(rest: string): StackWinParsed | undefined {
  const t = tokenize(rest, 11);
  if (!t) return undefined;
  const n: number[] = [];
  for (let i = 0; i < 10; i++) {
    const v = parseHexField(t[i]!);
    if (v === undefined) return undefined;
    n.push(v);
  }
  const [type, rva, codeSize, prolog, epilog, params, savedRegs, locals, maxStack, hasProgram] = n as [
    number, number, number, number, number, number, number, number, number, number,
  ];
  if (type > 4) return undefined;
  if ([prolog, epilog, params, savedRegs, locals, maxStack].some((v) => v > 0xffffffff)) return undefined;
  const record: StackWinRecord = {
    type,
    rva: BigInt(rva),
    codeSize,
    prologSize: prolog,
    epilogSize: epilog,
    parameterSize: params,
    savedRegisterSize: savedRegs,
    localSize: locals,
    maxStackSize: maxStack,
    allocatesBasePointer: false,
  };
  if (hasProgram !== 0) record.programString = t[10]!;
  else {
    const abp = parseHexField(t[10]!);
    if (abp === undefined) return undefined;
    record.allocatesBasePointer = abp !== 0;
  }
  return { type, rva, codeSize, record };
}
