/** Modules and symbols: lm, x, ln. */
import { DumpError } from '../../errors.js';
import { hexN, pad } from '../format.js';
import type { DebugModule } from '../target.js';
import type { Command, DebuggerSession } from '../types.js';

/** WinDbg wildcards (`*`, `?`) as a case-insensitive RegExp. */
export function wildcard(pattern: string): RegExp {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i');
}

function lmHeader(engine: DebuggerSession): string {
  return engine.pointerSize === 8 ? 'start             end                 module name' : 'start    end        module name';
}

async function lmLine(engine: DebuggerSession, m: DebugModule): Promise<string> {
  const status = engine.host.symbols?.status({ base: m.base, size: m.size, codeFile: m.path, debugFile: m.debugFile, debugId: m.debugId }) === 'loaded' ? '(private pdb symbols)' : (await engine.exports(m)).length ? '(export symbols)' : '(deferred)';
  return `${engine.formatAddress(m.base)} ${engine.formatAddress(m.base + m.size)}   ${pad(m.name, 10)} ${status}`;
}

function timestampText(t: number): string {
  return `${new Date(t * 1000).toUTCString()} (${hexN(t, 8).toUpperCase()})`;
}

export const MODULE_COMMANDS: Command[] = [
  {
    names: ['lm'],
    usage: 'lm [v] [m PATTERN]',
    summary: 'loaded modules (lmv m NAME: details of one)',
    help: 'Lists the loaded modules (start, end, name, symbol state) in load order. `m PATTERN` keeps the modules whose name matches the wildcard pattern (`lm m nt*`); `v` adds the image path, time stamp, checksum, size, file version and PDB of each (`lmv m ntdll`). Symbol state: `(export symbols)` when names come from the image\'s export table in memory, `(private pdb symbols)` when a symbol file was loaded, else `(deferred)`.',
    async run(engine, { args }) {
      let rest = args.trim();
      let verbose = false;
      let pattern: RegExp | undefined;
      // options: v, m PATTERN, and run-together forms (vm PATTERN)
      while (rest) {
        const m = /^(v?)(m?)(?:\s+|$)/.exec(rest);
        if (!m || (!m[1] && !m[2])) throw new DumpError('INVALID_ARGUMENT', `lm: unknown option in '${rest}' (lm [v] [m PATTERN])`);
        if (m[1]) verbose = true;
        rest = rest.slice(m[0].length);
        if (m[2]) {
          const p = /^(\S+)\s*/.exec(rest);
          if (!p) throw new DumpError('INVALID_ARGUMENT', 'lm m: a module name pattern is needed');
          pattern = wildcard(p[1]!);
          rest = rest.slice(p[0].length);
        }
      }
      const mods = (await engine.target.modules()).filter((m) => !pattern || pattern.test(m.name));
      const lines = [lmHeader(engine)];
      for (const m of mods) {
        lines.push(await lmLine(engine, m));
        if (verbose) {
          lines.push(`    Image path: ${m.path}`);
          lines.push(`    Image name: ${m.path.split(/[\\/]/).pop()}`);
          if (m.timestamp !== undefined) lines.push(`    Timestamp:        ${timestampText(m.timestamp)}`);
          if (m.checksum !== undefined) lines.push(`    CheckSum:         ${hexN(m.checksum, 8).toUpperCase()}`);
          lines.push(`    ImageSize:        ${hexN(m.size, 8).toUpperCase()}`);
          if (m.version) lines.push(`    File version:     ${m.version}`);
          if (m.debugFile) lines.push(`    Debug file:       ${m.debugFile}${m.debugId ? ` (${m.debugId})` : ''}`);
        }
      }
      return { text: lines.join('\n'), data: mods };
    },
  },
  {
    names: ['x'],
    usage: 'x MODULE!PATTERN',
    summary: 'symbols matching a pattern (exports in memory)',
    help: 'Lists the symbols of a module whose names match the wildcard pattern, with their addresses: `x ntdll!Nt*`, `x nt!Ke*`. Names come from the module\'s PE export table read from the dump (it needs the image headers in the dump: full-memory minidumps and kernel dumps have them, small minidumps often do not).',
    async run(engine, { args }) {
      const m = /^(\S+)!(\S+)$/.exec(args.trim());
      if (!m) throw new DumpError('INVALID_ARGUMENT', 'x takes MODULE!PATTERN (e.g. x ntdll!Nt*)');
      const modRe = wildcard(m[1]!);
      const symRe = wildcard(m[2]!);
      const lines: string[] = [];
      const data: { module: string; name: string; address: bigint }[] = [];
      const mods = (await engine.target.modules()).filter((x) => modRe.test(x.name));
      if (mods.length === 0) throw new DumpError('INVALID_ARGUMENT', `Couldn't resolve error at '${m[1]}': no such module`);
      for (const mod of mods) {
        for (const e of await engine.exports(mod)) {
          if (!symRe.test(e.name)) continue;
          lines.push(`${engine.formatAddress(e.address)} ${mod.name}!${e.name} (<no parameter info>)`);
          data.push({ module: mod.name, name: e.name, address: e.address });
        }
      }
      return { text: lines.join('\n'), data };
    },
  },
  {
    names: ['ln'],
    usage: 'ln ADDR',
    summary: 'the nearest symbols around an address',
    help: 'Shows the symbol at or before the address with the offset into it, and the next symbol after it, as `(start) module!name+0xoff | (next) module!next`. Without symbols or exports, the module and offset.',
    async run(engine, { args }) {
      const at = args.trim() ? (await engine.evaluatePrefix(args.trim())).value : await engine.pc();
      if (at === undefined) throw new DumpError('INVALID_ARGUMENT', 'ln needs an address');
      const s = await engine.nearestSymbol(at);
      if (!s) return { text: `No module contains ${engine.formatAddress(at)}`, data: undefined };
      const fa = (a: bigint): string => engine.formatAddress(a);
      const left = s.name !== undefined && s.start !== undefined ? `(${fa(s.start)})   ${await engine.symbolize(at)}` : `(${fa(s.module.base)})   ${await engine.symbolize(at)}`;
      const right = s.next ? `   |  (${fa(s.next.start)})   ${s.module.name}!${s.next.name}` : '';
      const lines = [`${left}${right}`];
      if (s.start === at && s.name) lines.push('Exact matches:', `    ${s.module.name}!${s.name} (<no parameter info>)`);
      return { text: lines.join('\n'), data: { module: s.module.name, name: s.name, start: s.start, next: s.next } };
    },
  },
];
