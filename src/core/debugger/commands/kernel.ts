/** Kernel-dump commands: !process, .process, !thread, !pte, !vtop, !db/!dw/!dd/!dq, .bugcheck. */
import { DumpError } from '../../errors.js';
import type { KernelProcess } from '../../kernel/kernel-facts.js';
import { EPROCESS, ETHREAD } from '../../kernel/offsets.js';
import { addr64, hexN } from '../format.js';
import type { KernelTarget } from '../kernel-target.js';
import { pteFlags, requireX64, selfMapAddresses, walkX64 } from '../paging.js';
import type { Command, DebuggerSession } from '../types.js';
import { unitLines } from './memory.js';
import { frameLine, header } from './stack.js';
import { processKernelDump } from '../../processor/kernel-process.js';
import type { StackFrame } from '../../unwind/types.js';

const MAX_THREADS = 4096;
/** x64 and ARM64 physical addresses have at most 52 bits. */
const MAX_PHYSICAL = 1n << 52n;

function u64(b: Uint8Array, off: number): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(off, true);
}

async function processLines(engine: DebuggerSession, k: KernelTarget, p: KernelProcess): Promise<string[]> {
  let peb = '?';
  try {
    peb = addr64(u64(await k.dump.readVirtual(p.eprocess + BigInt(EPROCESS.Peb), 8), 0));
  } catch (e) {
    if (!(e instanceof DumpError)) throw e;
  }
  return [`PROCESS ${addr64(p.eprocess)}`, `    Cid: ${hexN(p.pid, 4)}    Peb: ${peb}`, `    DirBase: ${hexN(p.directoryTableBase, 8)}`, `    Image: ${p.name}`, ''];
}

/** ETHREADs on EPROCESS.ThreadListHead. */
async function threadsOf(k: KernelTarget, eprocess: bigint): Promise<bigint[]> {
  const head = eprocess + BigInt(EPROCESS.ThreadListHead);
  const out: bigint[] = [];
  let link = u64(await k.dump.readVirtual(head, 8), 0);
  const seen = new Set<bigint>();
  while (link !== head && link !== 0n && !seen.has(link) && out.length < MAX_THREADS) {
    seen.add(link);
    out.push(link - BigInt(ETHREAD.ThreadListEntry));
    link = u64(await k.dump.readVirtual(link, 8), 0);
  }
  return out;
}

async function threadLines(engine: DebuggerSession, k: KernelTarget, ethread: bigint, indent: string): Promise<string[]> {
  const b = await k.dump.readVirtual(ethread, ETHREAD.size);
  const f = (off: number): bigint => u64(b, off);
  const pid = f(ETHREAD.CidUniqueProcess);
  const tid = f(ETHREAD.CidUniqueThread);
  return [
    `${indent}THREAD ${addr64(ethread)}  Cid ${hexN(pid, 4)}.${hexN(tid, 4)}  Teb: ${addr64(f(ETHREAD.Teb))}`,
    `${indent}    Owning Process ${addr64(f(ETHREAD.Process))}`,
    `${indent}    Base ${addr64(f(ETHREAD.StackBase))} Limit ${addr64(f(ETHREAD.StackLimit))} Kernel stack ${addr64(f(ETHREAD.KernelStack))}`,
  ];
}

async function findProcess(engine: DebuggerSession, k: KernelTarget, at: bigint): Promise<KernelProcess> {
  const p = (await k.processes()).find((x) => x.eprocess === at);
  if (p) return p;
  // not on the active list: read the EPROCESS fields directly
  const b = await k.dump.readVirtual(at, EPROCESS.size);
  let name = '';
  for (let i = 0; i < EPROCESS.ImageFileNameLength && b[EPROCESS.ImageFileName + i]; i++) name += String.fromCharCode(b[EPROCESS.ImageFileName + i]!);
  return { eprocess: at, pid: u64(b, EPROCESS.UniqueProcessId), name, directoryTableBase: u64(b, EPROCESS.DirectoryTableBase) };
}

function physicalDisplay(name: string, size: number): Command {
  return {
    names: [name],
    usage: `${name} PA [L COUNT]`,
    summary: `physical memory as ${size === 1 ? 'bytes' : `${size * 8}-bit units`}`,
    help: `Shows physical memory at PA (a MASM expression; hex by default), like WinDbg's ${name}: lines start with # and the physical address. Pages the dump does not hold show as ??.`,
    targets: 'kernel',
    async run(engine, { args }) {
      const k = engine.kernel(name);
      const phys = k.dump.requirePhysical();
      const range = await engine.parseRange(args, size);
      if (!range) throw new DumpError('INVALID_ARGUMENT', `${name} needs a physical address`);
      const bytes = Math.min((range.count ?? 0x80 / size) * size, 1 << 20);
      if (range.start + BigInt(bytes) > MAX_PHYSICAL) throw new DumpError('INVALID_ARGUMENT', `Physical address ${range.start.toString(16)} is beyond the 52-bit physical address space`);
      const data = new Uint8Array(bytes);
      const valid = new Uint8Array(bytes);
      let missing: DumpError | undefined;
      for (let off = 0; off < bytes; ) {
        const a = range.start + BigInt(off);
        const n = Math.min(bytes - off, 0x1000 - Number(a & 0xfffn));
        try {
          data.set(await phys.read(a, n, { ignoreMissing: engine.ignoreMissingPages }), off);
          valid.fill(1, off, off + n);
        } catch (e) {
          if (!(e instanceof DumpError)) throw e;
          missing ??= e;
        }
        off += n;
      }
      const lines = unitLines(range.start, { bytes: data, valid }, size, (a) => `#${a.toString(16).padStart(8)}`);
      lines.push(...engine.missingNote(missing));
      return lines.join('\n');
    },
  };
}

export const KERNEL_COMMANDS: Command[] = [
  {
    names: ['!process'],
    usage: '!process [0 0 [NAME] | ADDR [FLAGS]]',
    summary: 'processes of a kernel dump',
    help:
      '`!process 0 0` lists every process on PsActiveProcessHead (EPROCESS address, Cid, Peb, DirBase, image name); `!process 0 0 NAME` only those whose image name is NAME. ' +
      '`!process ADDR 7` shows one process and, with flag bits 2/4, its threads (ETHREAD, Cid, TEB, stack base/limit). Without arguments, the current process (.process). Reads the x64 Windows 10 (19041) structure layout.',
    targets: 'kernel',
    async run(engine, { args }) {
      const k = engine.kernel('!process');
      const parts = args.trim().split(/\s+/).filter(Boolean);
      if (parts.length >= 2 && parts[0] === '0') {
        const name = parts.slice(2).join(' ').toLowerCase();
        const list = (await k.processes()).filter((p) => !name || p.name.toLowerCase() === name || p.name.toLowerCase() === name.slice(0, 14));
        const lines = ['**** NT ACTIVE PROCESS DUMP ****'];
        for (const p of list) lines.push(...(await processLines(engine, k, p)));
        if (list.length === 0) lines.push(name ? `No process named ${parts.slice(2).join(' ')}` : 'No processes: PsActiveProcessHead is not readable in this dump');
        return { text: lines.join('\n').trimEnd(), data: list };
      }
      let at: bigint;
      let flags = 0;
      if (parts.length === 0) {
        if (!k.process) throw new DumpError('INVALID_ARGUMENT', 'no current process: give an EPROCESS address or set one with .process /p ADDR');
        at = k.process.eprocess;
      } else {
        const r = await engine.evaluatePrefix(args.trim());
        at = r.value;
        const f = args.trim().slice(r.end).trim();
        if (f) flags = Number((await engine.evaluatePrefix(f)).value);
      }
      const p = await findProcess(engine, k, at);
      const lines = await processLines(engine, k, p);
      if (flags & 6) {
        const threads = await threadsOf(k, p.eprocess);
        // flag 4: each thread's stack, walked by the processor from its saved context
        const stacks = new Map<number, StackFrame[]>();
        if (flags & 4) {
          const ids: number[] = [];
          for (const t of threads) {
            try {
              ids.push(Number(u64(await k.dump.readVirtual(t + BigInt(ETHREAD.CidUniqueThread), 8), 0)));
            } catch (e) {
              if (!(e instanceof DumpError)) throw e;
            }
          }
          const state = await processKernelDump(k.dump, { threads: ids, ...(engine.host.symbols ? { symbols: engine.host.symbols } : {}) });
          for (const th of state.threads) if (th.walked) stacks.set(th.id, th.stack.frames);
        }
        for (const t of threads) {
          try {
            const tl = await threadLines(engine, k, t, '        ');
            lines.push(...tl);
            const tid = parseInt(/Cid [0-9a-f]+\.([0-9a-f]+)/.exec(tl[0]!)![1]!, 16);
            const frames = stacks.get(tid);
            if (frames?.length) {
              lines.push('', `        ${header(engine, { numbers: false, args: false })}`);
              for (let i = 0; i < frames.length; i++) for (const l of await frameLine(engine, frames, i, { numbers: false, args: false, verbose: false })) lines.push(`        ${l}`);
            }
            lines.push('');
          } catch (e) {
            if (!(e instanceof DumpError)) throw e;
            lines.push(`        THREAD ${addr64(t)}: ${e.message}`, '');
          }
        }
      }
      return { text: lines.join('\n').trimEnd(), data: p };
    },
  },
  {
    names: ['.process'],
    usage: '.process [/p] [ADDR]',
    summary: 'set the process whose address space user addresses are read in',
    help:
      'Makes the process at EPROCESS ADDR the implicit process: user-mode addresses are then translated through its page tables (its DirectoryTableBase). ' +
      'It fails with "Process … has invalid page directories" when the process\'s top-level page table is not in the dump, as in a kernel memory dump (only kernel address space is available). ' +
      'Without an address, shows the current process; `.process 0` goes back to the dump\'s own (kernel) address space. /p and /r are accepted (a dump has no cache to flush).',
    targets: 'kernel',
    async run(engine, { args }) {
      const k = engine.kernel('.process');
      const rest = args.replace(/\/[prP]\b/g, '').trim();
      if (!rest) return k.process ? `Implicit process is now ${addr64(k.process.eprocess)} (${k.process.name})` : 'Implicit process is the dump\'s own address space (DirectoryTableBase from the header)';
      const at = (await engine.evaluatePrefix(rest)).value;
      if (at === 0n) {
        k.process = undefined;
        return 'Implicit process is now the dump\'s own address space';
      }
      const p = await findProcess(engine, k, at);
      const phys = k.dump.requirePhysical();
      const tablePfn = Number((p.directoryTableBase & 0x000ffffffffff000n) >> 12n);
      if (!phys.hasPage(tablePfn)) {
        const why = k.dump.kernelOnly ? 'only kernel address space is available in this dump' : 'its page table is not in the dump';
        throw new DumpError('LIMIT', `Process ${addr64(at)} has invalid page directories (DirBase ${hexN(p.directoryTableBase, 8)}: ${why})`);
      }
      k.process = { eprocess: at, directoryTableBase: p.directoryTableBase, name: p.name };
      engine.next = {};
      return { text: `Implicit process is now ${addr64(at)}`, data: k.process };
    },
  },
  {
    names: ['!thread'],
    usage: '!thread ADDR',
    summary: 'a kernel thread (ETHREAD)',
    help: 'Shows the ETHREAD at ADDR: Cid (process.thread), TEB, owning process and its image name, kernel stack base, limit and current kernel stack pointer (x64 Windows 10 19041 layout).',
    targets: 'kernel',
    async run(engine, { args }) {
      const k = engine.kernel('!thread');
      if (!args.trim()) throw new DumpError('INVALID_ARGUMENT', '!thread needs an ETHREAD address');
      const at = (await engine.evaluatePrefix(args.trim())).value;
      const lines = await threadLines(engine, k, at, '');
      const owner = u64(await k.dump.readVirtual(at + BigInt(ETHREAD.Process), 8), 0);
      const p = (await k.processes()).find((x) => x.eprocess === owner);
      if (p) lines[1] = `${lines[1]}       Image:         ${p.name}`;
      return lines.join('\n');
    },
  },
  {
    names: ['!pte'],
    usage: '!pte VA',
    summary: 'the page-table entries that map a virtual address',
    help:
      'Walks the x64 page tables of the current process (or the kernel\'s) for VA and shows each level as WinDbg does: PXE, PPE, PDE, PTE with the self-map address of each entry (from the debugger data block\'s PteBase), its contents, PFN and flags (`-G-DA--KWEV`: global, large, dirty, accessed, kernel/user, writable, executable, valid). ' +
      'Then where the walk ends: the physical address and whether that page is in the dump, or which level is not valid or not in the dump.',
    targets: 'kernel',
    async run(engine, { args }) {
      const k = engine.kernel('!pte');
      requireX64(k.dump.pagingMode);
      const va = (await engine.evaluatePrefix(args.trim())).value;
      const phys = k.dump.requirePhysical();
      const dtb = k.directoryTableBase ?? k.dump.directoryTableBase;
      const walk = await walkX64(phys, dtb, va);
      const kdbg = await k.dump.debuggerData().catch((e) => {
        if (e instanceof DumpError) return undefined;
        throw e;
      });
      const self = kdbg?.pteBase ? selfMapAddresses(kdbg.pteBase, va) : undefined;
      const col = (s: string): string => s.padEnd(27);
      const at: string[] = [];
      const contains: string[] = [];
      const pfn: string[] = [];
      walk.levels.forEach((l, i) => {
        at.push(col(`${l.name} at ${self ? hexN(self[i]!, 16).toUpperCase() : `PA ${l.entryPa.toString(16)}`}`));
        contains.push(col(l.entry === undefined ? 'not in the dump' : `contains ${hexN(l.entry, 16).toUpperCase()}`));
        pfn.push(col(l.entry === undefined ? '' : l.valid ? `pfn ${((l.entry & 0x000ffffffffff000n) >> 12n).toString(16).padEnd(10)}${pteFlags(l.entry, l.large)}` : 'not valid'));
      });
      const lines = [`${' '.repeat(43)}VA ${hexN(va, 16)}`, at.join('').trimEnd(), contains.join('').trimEnd(), pfn.join('').trimEnd()];
      if (walk.pa !== undefined) {
        const inDump = phys.hasPage(Number(walk.pa >> 12n));
        lines.push(`maps to PA ${walk.pa.toString(16)} (${walk.pageSize === 4096 ? '4 KiB' : walk.pageSize === 1 << 21 ? '2 MiB' : '1 GiB'} page${walk.transition ? ', transition' : ''}), ${inDump ? 'which is in the dump' : 'which is not in the dump'}`);
      } else lines.push(`no translation: ${walk.failure}`);
      return { text: lines.join('\n'), data: walk };
    },
  },
  {
    names: ['!vtop'],
    usage: '!vtop DIRBASE VA',
    summary: 'translate a virtual address with a given page directory',
    help: 'Translates VA through the x64 page tables at DIRBASE (0: the current process\'s, or the kernel\'s), printing each entry\'s physical address as WinDbg\'s Amd64VtoP lines do, and the physical address it maps to.',
    targets: 'kernel',
    async run(engine, { args }) {
      const k = engine.kernel('!vtop');
      requireX64(k.dump.pagingMode);
      const r = await engine.evaluatePrefix(args.trim());
      const rest = args.trim().slice(r.end).trim();
      if (!rest) throw new DumpError('INVALID_ARGUMENT', '!vtop takes DIRBASE VA (DIRBASE 0 for the current process)');
      const va = (await engine.evaluatePrefix(rest)).value;
      const dtb = r.value === 0n ? (k.directoryTableBase ?? k.dump.directoryTableBase) : r.value;
      const walk = await walkX64(k.dump.requirePhysical(), dtb, va);
      const names = { PXE: 'PML4E', PPE: 'PDPE', PDE: 'PDE', PTE: 'PTE' } as const;
      const lines = [`Amd64VtoP: Virt ${hexN(va, 16)}, pagedir ${hexN(dtb & ~0xfffn, 16)}`];
      for (const l of walk.levels) {
        lines.push(`Amd64VtoP: ${names[l.name]} ${hexN(l.entryPa, 16)}`);
        if (l.large) lines.push(`Amd64VtoP: Large page mapped phys ${hexN(walk.pa ?? 0n, 16)}`);
      }
      if (walk.pa !== undefined) {
        if (!walk.levels[walk.levels.length - 1]!.large) lines.push(`Amd64VtoP: Mapped phys ${hexN(walk.pa, 16)}`);
        lines.push(`Virtual address ${va.toString(16)} translates to physical address ${walk.pa.toString(16)}.`);
      } else lines.push(`Amd64VtoP: ${walk.failure}`, `Virtual address ${va.toString(16)} translation fails.`);
      return { text: lines.join('\n'), data: walk };
    },
  },
  physicalDisplay('!db', 1),
  physicalDisplay('!dw', 2),
  physicalDisplay('!dd', 4),
  physicalDisplay('!dq', 8),
  {
    names: ['.bugcheck'],
    usage: '.bugcheck',
    summary: 'the bug check code and its four arguments',
    help: 'Shows the bug check code (with its name) and the four parameters recorded in the kernel dump header.',
    targets: 'kernel',
    async run(engine) {
      const k = engine.kernel('.bugcheck');
      return { text: (await k.bugcheckLines()).join('\n'), data: { code: k.dump.header.bugCheckCode, parameters: k.dump.header.bugCheckParameters } };
    },
  },
];

