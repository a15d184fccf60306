/** Session commands: vertarget, ||, .lastevent, .ignore_missing_pages, .help, q. */
import { DumpError } from '../../errors.js';
import { hexN } from '../format.js';
import type { MinidumpTarget } from '../minidump-target.js';
import type { Command, DebuggerSession } from '../types.js';
import { exceptionText } from './threads.js';

export function helpList(engine: DebuggerSession): string {
  const lines = ['Commands (.help NAME for details):'];
  for (const c of engine.commands()) {
    const only = c.targets === 'kernel' ? ' [kernel dumps]' : c.targets === 'user' ? ' [minidumps]' : '';
    lines.push(`  ${c.usage.padEnd(44)} ${c.summary}${only}`);
  }
  lines.push('Expressions are MASM: hex by default, 0n10 decimal, fffff800`00000000, @rip, poi(ADDR), module!name.');
  lines.push('Several commands on one line: separate them with ;');
  return lines.join('\n');
}

export const SESSION_COMMANDS: Command[] = [
  {
    names: ['.help', '.hh'],
    usage: '.help [COMMAND]',
    summary: 'list the commands, or explain one',
    help: 'Without an argument, lists every command with a one-line summary. With a command name (e.g. `.help dq`, `.help !process`), shows its usage and what it does.',
    async run(engine, { args }) {
      if (!args) return helpList(engine);
      const name = args.trim().toLowerCase();
      const c = engine.commands().find((x) => x.names.some((n) => n.toLowerCase() === name));
      if (!c) throw new DumpError('INVALID_ARGUMENT', `no command named ${args.trim()} (.help lists them)`);
      return `${c.usage}\n  ${c.summary}\n\n${c.help}${c.names.length > 1 ? `\n\nAlso: ${c.names.slice(1).join(', ')}` : ''}`;
    },
  },
  {
    names: ['q', 'qq', 'qd'],
    usage: 'q',
    summary: 'end the session',
    help: 'Ends the debugging session (in batch mode, stops running the -c commands).',
    async run() {
      return { text: 'quit:', quit: true };
    },
  },
  {
    names: ['vertarget'],
    usage: 'vertarget',
    summary: 'the target system: OS version, processors, times',
    help: 'Shows what the dump says about the system it was taken on: Windows version and build (or the OS of a Breakpad/Crashpad dump), processor count and architecture, product type, the session time and uptime; for kernel dumps the kernel base and PsLoadedModuleList.',
    async run(engine) {
      const lines = await engine.target.versionLines();
      return { text: lines.join('\n'), data: { lines } };
    },
  },
  {
    names: ['||'],
    usage: '||',
    summary: 'the system (dump) being debugged',
    help: 'Shows the dump file and what kind of dump it is, as WinDbg\'s `||` does (there is always exactly one system, number 0).',
    async run(engine) {
      return `.  0 ${engine.target.sessionKind()}: ${engine.name}`;
    },
  },
  {
    names: ['.lastevent'],
    usage: '.lastevent',
    summary: 'the event the dump was taken for',
    help: 'Shows the last event: the stored exception of a minidump (thread, code and name), or the bug check of a kernel dump.',
    async run(engine) {
      const ex = await engine.target.exception();
      if (engine.isKernel) {
        const k = engine.kernel('.lastevent');
        const code = k.dump.header.bugCheckCode;
        if (code === undefined) return 'Last event: none recorded in this dump';
        return `Last event: Kernel bug check ${hexN(code, 8)}${ex ? `; exception ${hexN(ex.code, 8)} at ${engine.formatAddress(ex.address)}` : ''}`;
      }
      if (!ex) return 'Last event: none recorded (the dump has no exception stream)';
      const pid = await (engine.target as MinidumpTarget).processId();
      const who = `${pid !== undefined ? pid.toString(16) : '?'}.${ex.threadId?.toString(16) ?? '?'}`;
      return {
        text: `Last event: ${who}: ${exceptionText(ex.code, ex.name)} - code ${hexN(ex.code, 8)} (first/second chance not available)`,
        data: { threadId: ex.threadId, code: ex.code, address: ex.address },
      };
    },
  },
  {
    names: ['.ignore_missing_pages'],
    usage: '.ignore_missing_pages [0|1]',
    summary: 'read pages missing from the dump as zeros (1) or report them (0)',
    help: 'Without an argument shows the setting. With 1, memory the dump lacks (pages not in an Active or kernel dump, ranges not in a minidump) reads as zeros instead of ????????; with 0 (the default) it is reported as missing. As in WinDbg, it quiets missing-page errors; dumpkit also fills the bytes with zeros, like `dumpkit read --ignore-missing-pages`.',
    async run(engine, { args }) {
      const a = args.trim();
      if (a === '1' || a === '0') engine.ignoreMissingPages = a === '1';
      else if (a !== '') throw new DumpError('INVALID_ARGUMENT', `.ignore_missing_pages takes 0 or 1, not ${a}`);
      return engine.ignoreMissingPages ? 'Missing pages are read as zeros (.ignore_missing_pages 1)' : 'Missing pages are reported (.ignore_missing_pages 0)';
    },
  },
];
