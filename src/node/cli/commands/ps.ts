import type { Command } from 'commander';
import { detectFormat } from '../../../core/detect.js';
import { Diagnostics } from '../../../core/diagnostics.js';
import { DumpError } from '../../../core/errors.js';
import { hex, toJson } from '../../../core/hex.js';
import { KernelDump } from '../../../core/kernel/kernel-dump.js';
import { kernelLayoutNote, listProcesses } from '../../../core/kernel/processes.js';
import { FileSource } from '../../file-source.js';

export function register(program: Command): void {
  program
    .command('ps')
    .description("list a kernel dump's processes (PsActiveProcessHead): pid, name, DTB, threads, session")
    .argument('<file>', 'a kernel dump (PAGEDUMP/PAGEDU64) with memory (not a small or header-only dump)')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const source = FileSource.open(file);
      try {
        const format = await detectFormat(source);
        if (format !== 'kernel32' && format !== 'kernel64') throw new DumpError('UNSUPPORTED', `${file} is a ${format}: dumpkit ps lists the processes of kernel dumps`);
        const diagnostics = new Diagnostics();
        const dump = await KernelDump.open(source, diagnostics);
        const head = dump.header.psActiveProcessHead;
        if (dump.machine !== 'amd64') throw new DumpError('UNSUPPORTED', `dumpkit ps reads x64 kernel dumps (this one is ${dump.machine})`);
        if (head === undefined) throw new DumpError('UNSUPPORTED', `${file} has no PsActiveProcessHead in its header`);
        const note = kernelLayoutNote(dump.header.minorVersion);
        if (note) diagnostics.add(note);
        const processes = await listProcesses(dump.virtual(), head, diagnostics);
        if (opts.json) {
          const rows = processes.map((p) => ({
            pid: p.pid,
            parentPid: p.parentPid,
            name: p.name,
            eprocess: p.eprocess,
            dtb: p.directoryTableBase,
            threads: p.threadCount,
            ...(p.sessionId !== undefined ? { sessionId: p.sessionId } : {}),
            exited: p.exited,
          }));
          process.stdout.write(toJson({ processes: rows, diagnostics: diagnostics.list() }) + '\n');
          return;
        }
        const lines = [`${'PID'.padStart(7)} ${'PPID'.padStart(7)}  ${'Name'.padEnd(15)} ${'DTB'.padEnd(12)} ${'Threads'.padStart(7)} ${'Session'.padStart(7)}`];
        for (const p of processes) {
          lines.push(
            `${String(p.pid).padStart(7)} ${String(p.parentPid).padStart(7)}  ${p.name.padEnd(15)} ${hex(p.directoryTableBase).padEnd(12)} ${String(p.threadCount).padStart(7)} ${(p.sessionId === undefined ? '-' : String(p.sessionId)).padStart(7)}${p.exited ? '  (exited)' : ''}`,
          );
        }
        const d = diagnostics.list();
        if (d.length) lines.push('', `Diagnostics (${d.length}):`, ...d.map((x) => `  ${x}`));
        process.stdout.write(lines.join('\n') + '\n');
      } finally {
        await source.close();
      }
    });
}
