import { DumpError } from '../../core/errors.js';
import type { DumpFailure } from './wire.js';

export type { DumpFailure };

/**
 * Task Manager's troubleshooting list, said for Linux: it "needs to be running as an administrator
 * level user" — here, the right to trace the process; "wait for any requested dump to complete";
 * "try taking the dump again in a few minutes"; and the memory a live dump needs to hold its copy.
 */
export function dumpFailure(e: DumpError): DumpFailure {
  const f = (title: string, advice: string): DumpFailure => ({ code: e.code, title, advice, detail: e.message });
  switch (e.code) {
    case 'PERMISSION':
      return f(
        'Access is denied',
        'dumpkit ui needs the right to trace this process (ptrace): run it as root or as the process\'s owner with CAP_SYS_PTRACE (sudo setcap cap_sys_ptrace+ep on node), or lower kernel.yama.ptrace_scope.',
      );
    case 'BUSY':
      return f('A dump is already being written', 'Wait for the requested dump to complete before taking another memory dump.');
    case 'PROCESS_EXITED':
    case 'NO_SUCH_PROCESS':
      return f('The process has exited', 'The process ended before its dump was complete: there is nothing left to dump. Nothing was written.');
    case 'MEMORY_PRESSURE':
      return f(
        'Not enough free memory',
        'The capture needs enough free memory to hold a copy of what it writes. Close unneeded applications, leave out hypervisor and user pages (Settings), or turn off "Abort if memory pressure" for a partial dump.',
      );
    case 'TIMEOUT':
      return f('The dump timed out', 'Try taking the dump again in a few minutes.');
    case 'INVALID_ARGUMENT':
    case 'REFUSED':
      return f('The dump was refused', 'Check the request and try again.');
    default:
      return f('The dump could not be created', 'Try taking the dump again in a few minutes.');
  }
}
