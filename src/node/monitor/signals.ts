import { constants } from 'node:os';
import { DumpError } from '../../core/errors.js';

const BY_NUMBER = new Map<number, string>();
for (const [name, no] of Object.entries(constants.signals)) if (!BY_NUMBER.has(no)) BY_NUMBER.set(no, name);

/** SIGSEGV for 11, … (the first of Node's names for a number). */
export function signalName(signo: number): string {
  return BY_NUMBER.get(signo) ?? `signal ${signo}`;
}

/** A signal given as SIGUSR1, USR1, usr1 or 10. SIGKILL and SIGSTOP cannot be caught, so cannot be watched. */
export function parseSignal(text: string): number {
  const t = text.trim();
  let no: number | undefined;
  if (/^\d+$/.test(t)) no = Number(t);
  else {
    const name = t.toUpperCase().startsWith('SIG') ? t.toUpperCase() : `SIG${t.toUpperCase()}`;
    no = (constants.signals as Record<string, number>)[name];
  }
  if (no === undefined || no < 1 || no > 64) throw new DumpError('INVALID_ARGUMENT', `--signal: ${JSON.stringify(text)} is not a signal (SIGUSR1, USR1 or a number 1-64)`);
  if (no === constants.signals.SIGKILL || no === constants.signals.SIGSTOP) throw new DumpError('INVALID_ARGUMENT', `--signal: ${signalName(no)} cannot be intercepted (the kernel delivers it directly)`);
  return no;
}
