/**
 * The current thread's stack for `k`, `.frame` and friends: dumpkit's unwinder (src/core/unwind)
 * walked from the current register context (the thread's, or `.ecxr`/`.cxr`'s), over the current
 * address space, with the host's symbols and the PE images' exports and unwind data.
 */
import { Diagnostics } from '../diagnostics.js';
import { KernelMemoryReader, kernelCodeModules } from '../processor/kernel-input.js';
import { readMinidumpInput, type MinidumpInput } from '../processor/minidump-input.js';
import { SymbolChain } from '../symbols/chain.js';
import { PeImageProvider } from '../symbols/pe/pe-provider.js';
import type { CodeModule, SymbolProvider } from '../symbols/types.js';
import { ModuleIndex } from '../unwind/modules.js';
import type { CallStack, MemoryReader } from '../unwind/types.js';
import { walkStack } from '../unwind/walker.js';
import { DumpError } from '../errors.js';
import { KernelTarget } from './kernel-target.js';
import { MinidumpTarget } from './minidump-target.js';
import type { StackContext, StackWalks } from './types.js';

/** Frames `k` walks at most (WinDbg's default shows 20 or so; `k 100` asks for more). */
export const MAX_STACK_FRAMES = 1024;

interface Walkable {
  memory: MemoryReader;
  modules: CodeModule[];
  os: 'windows' | MinidumpInput['os'];
  minidump?: MinidumpInput;
}

/** What walking needs from the dump, read once per engine (per process for kernel dumps). */
export class StackSource implements StackWalks {
  private walkable = new Map<string, Promise<Walkable>>();
  private cache = new Map<string, Promise<CallStack>>();
  readonly diagnostics = new Diagnostics();

  constructor(private readonly engine: StackContext) {}

  private base(): Promise<Walkable> {
    const t = this.engine.target;
    const key = t instanceof KernelTarget ? `k:${t.directoryTableBase ?? ''}` : 'user';
    let p = this.walkable.get(key);
    if (!p) {
      p = (async (): Promise<Walkable> => {
        if (t instanceof MinidumpTarget) {
          const input = await readMinidumpInput(t.dump);
          return { memory: input.memory, modules: input.modules, os: input.os, minidump: input };
        }
        const k = t as KernelTarget;
        const memory = new KernelMemoryReader(k.dump, k.directoryTableBase);
        return { memory, modules: await kernelCodeModules(k.dump, memory, this.diagnostics), os: 'windows' };
      })();
      this.walkable.set(key, p);
    }
    return p;
  }

  private symbols(memory: MemoryReader): SymbolProvider {
    const pe = new PeImageProvider({ memory, diagnostics: this.diagnostics });
    return this.engine.host.symbols ? new SymbolChain([this.engine.host.symbols, pe]) : pe;
  }

  /** The walked stack of the current context (cached until the thread, context or process changes). */
  current(maxFrames = MAX_STACK_FRAMES): Promise<CallStack> {
    const e = this.engine;
    const t = e.target;
    const key = `${e.currentThread}:${e.contextOverride?.what ?? ''}:${t instanceof KernelTarget ? (t.directoryTableBase ?? '') : ''}:${maxFrames}`;
    let p = this.cache.get(key);
    if (!p) {
      p = this.walk(maxFrames);
      this.cache.set(key, p);
      p.catch(() => this.cache.delete(key));
    }
    return p;
  }

  private async walk(maxFrames: number): Promise<CallStack> {
    const e = this.engine;
    const arch = e.target.arch;
    if (arch === 'other') return { frames: [], end: 'no-context', endReason: 'no stack walker for this CPU' };
    const registers = await e.registers();
    if (!registers) throw new DumpError('MISSING_STREAM', `thread ${e.currentThread} has no register context in the dump`);
    const w = await this.base();
    const thread = w.minidump?.threads[e.currentThread];
    return walkStack({
      arch,
      registers,
      memory: w.memory,
      modules: new ModuleIndex(w.modules),
      symbols: this.symbols(w.memory),
      ...(thread?.stack ? { stack: thread.stack } : {}),
      limits: { maxFrames },
      diagnostics: this.diagnostics,
      os: w.os,
      label: `thread ${e.currentThread}`,
    });
  }
}
