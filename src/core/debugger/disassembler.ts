/**
 * Disassembly for `u` and `r`: the engine's interface, and an adapter over Capstone's JavaScript
 * build (@alexaltea/capstone-js), which the host loads and hands over — the core imports no
 * package itself, so it stays runnable in a browser that loads the same WASM build.
 */
import type { DebugArch } from './target.js';

export interface Instruction {
  address: bigint;
  size: number;
  bytes: Uint8Array;
  mnemonic: string;
  /** Operands as the disassembler prints them (Intel syntax for x86). */
  operands: string;
}

export interface Disassembler {
  /** Up to `count` instructions decoded from `bytes` placed at `address`; stops at undecodable bytes. */
  disassemble(arch: DebugArch, bytes: Uint8Array, address: bigint, count: number): Instruction[];
}

/** The part of Capstone.js's module the adapter uses. */
export interface CapstoneModule {
  ARCH_X86: number;
  ARCH_ARM64: number;
  ARCH_ARM: number;
  MODE_32: number;
  MODE_64: number;
  MODE_ARM: number;
  Capstone: new (arch: number, mode: number) => {
    disasm(buffer: Uint8Array | number[], address: number | bigint, max?: number): { address: number | bigint; size: number; bytes: number[]; mnemonic: string; op_str: string }[];
    close?(): void;
  };
}

/** Wraps a loaded Capstone.js module; one decoder per architecture, made on first use. */
export function capstoneDisassembler(cs: CapstoneModule): Disassembler {
  const decoders = new Map<DebugArch, InstanceType<CapstoneModule['Capstone']>>();
  const decoder = (arch: DebugArch): InstanceType<CapstoneModule['Capstone']> => {
    let d = decoders.get(arch);
    if (!d) {
      if (arch === 'amd64') d = new cs.Capstone(cs.ARCH_X86, cs.MODE_64);
      else if (arch === 'x86') d = new cs.Capstone(cs.ARCH_X86, cs.MODE_32);
      else if (arch === 'arm64') d = new cs.Capstone(cs.ARCH_ARM64, cs.MODE_ARM);
      else if (arch === 'arm') d = new cs.Capstone(cs.ARCH_ARM, cs.MODE_ARM);
      else throw new RangeError(`no disassembler for ${arch}`);
      decoders.set(arch, d);
    }
    return d;
  };
  return {
    disassemble(arch, bytes, address, count) {
      const list = decoder(arch).disasm(bytes, address, count);
      return list.map((i) => ({
        // Capstone.js hands 64-bit addresses back as signed numbers
        address: BigInt.asUintN(64, BigInt(i.address)),
        size: i.size,
        bytes: Uint8Array.from(i.bytes),
        mnemonic: i.mnemonic,
        operands: i.op_str,
      }));
    },
  };
}
