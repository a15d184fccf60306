/**
 * The `dumpkit dbg` shell: batch (`-c "cmd; cmd; q"`, like `cdb -z FILE -c`) and interactive (Node
 * readline: line editing, history in a file, tab completion of commands, modules and exports;
 * Ctrl-C stops the running command, not the shell). Nothing thrown by a command ends the shell.
 */
import { createInterface, type Interface } from 'node:readline';
import { commandNames } from '../../core/debugger/commands/index.js';
import { DebuggerEngine } from '../../core/debugger/engine.js';
import type { CommandResult } from '../../core/debugger/types.js';
import { appendHistory, HISTORY_SIZE, historyPath, loadHistory } from './history.js';

export interface ShellIo {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Treat the input as a terminal (line editing, completion). */
  terminal: boolean;
}

/** The prompt WinDbg shows: `0:000> ` (thread number) or `0: kd> `. */
export function prompt(engine: DebuggerEngine): string {
  return engine.isKernel ? '0: kd> ' : `0:${String(engine.currentThread).padStart(3, '0')}> `;
}

/** Runs one command; an unexpected exception is printed as an internal error, never thrown. */
export async function runCommand(engine: DebuggerEngine, line: string, signal?: AbortSignal): Promise<CommandResult> {
  try {
    return await engine.execute(line, { signal });
  } catch (e) {
    const err = e as Error;
    if (process.env.DUMPKIT_DEBUG) process.stderr.write(`${err?.stack}\n`);
    return { text: `dumpkit: internal error in '${line}': ${err?.message ?? String(e)}`, error: { code: 'INTERNAL', message: err?.message ?? String(e) } };
  }
}

function print(out: NodeJS.WritableStream, text: string): void {
  if (text !== '') out.write(text.endsWith('\n') ? text : text + '\n');
}

/** Batch mode: echoes each command after the prompt, as cdb does, and stops at `q`. Returns the count of failed commands. */
export async function runBatch(engine: DebuggerEngine, script: string, out: NodeJS.WritableStream): Promise<number> {
  let failed = 0;
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.on('SIGINT', onSigint);
  try {
    for (const cmd of DebuggerEngine.splitCommands(script)) {
      out.write(`${prompt(engine)}${cmd}\n`);
      const r = await runCommand(engine, cmd, controller.signal);
      print(out, r.text);
      if (r.error) failed++;
      if (r.quit || controller.signal.aborted) break;
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
  return failed;
}

/** Completes the word under the cursor: a command name first, then module names and module!exports. */
export async function complete(engine: DebuggerEngine, line: string): Promise<[string[], string]> {
  const m = /(\S*)$/.exec(line)!;
  const word = m[1]!;
  const isFirst = line.trimStart() === word;
  if (isFirst) {
    const names = commandNames().filter((n) => n.startsWith(word.toLowerCase()));
    return [names, word];
  }
  const mods = await engine.target.modules();
  const bang = word.indexOf('!');
  if (bang < 0) {
    const w = word.toLowerCase();
    return [mods.filter((x) => x.name.toLowerCase().startsWith(w)).map((x) => x.name), word];
  }
  const mod = mods.find((x) => x.name.toLowerCase() === word.slice(0, bang).toLowerCase());
  if (!mod) return [[], word];
  const prefix = word.slice(bang + 1).toLowerCase();
  const hits = (await engine.exports(mod)).filter((e) => e.name.toLowerCase().startsWith(prefix)).slice(0, 200);
  return [hits.map((e) => `${mod.name}!${e.name}`), word];
}

/**
 * Interactive mode. Ctrl-C while a command runs stops that command; at the prompt it clears the
 * line; Ctrl-D or `q` ends the session.
 */
export async function runInteractive(engine: DebuggerEngine, io: ShellIo): Promise<void> {
  const histFile = historyPath();
  const rl: Interface = createInterface({
    input: io.input,
    output: io.output,
    terminal: io.terminal,
    history: io.terminal ? loadHistory(histFile) : [],
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: false,
    completer: (line: string, cb: (err: Error | null, result: [string[], string]) => void) => {
      complete(engine, line).then(
        (r) => cb(null, r),
        (e: unknown) => cb(null, [[], String(e instanceof Error ? e.message : e).slice(0, 0)]),
      );
    },
  });
  let running: AbortController | undefined;
  rl.on('SIGINT', () => {
    if (running) {
      running.abort();
      return;
    }
    // at the prompt: drop what was typed (end of line, then delete to its start) and prompt again
    rl.write(null, { ctrl: true, name: 'e' });
    rl.write(null, { ctrl: true, name: 'u' });
    io.output.write('^C\n');
    rl.setPrompt(prompt(engine));
    rl.prompt();
  });
  // when the input is not a terminal, Ctrl-C arrives as a signal
  const onSigint = (): void => running?.abort();
  process.on('SIGINT', onSigint);
  try {
    rl.setPrompt(prompt(engine));
    rl.prompt();
    for await (const line of rl) {
      const cmd = line.trim();
      // piped commands are echoed after the prompt, as in a -c batch
      if (!io.terminal) io.output.write(`${line}\n`);
      if (cmd) {
        if (io.terminal) appendHistory(histFile, cmd);
        let quit = false;
        for (const one of DebuggerEngine.splitCommands(cmd)) {
          running = new AbortController();
          const r = await runCommand(engine, one, running.signal);
          running = undefined;
          print(io.output, r.text);
          if (r.quit) {
            quit = true;
            break;
          }
        }
        if (quit) break;
      }
      rl.setPrompt(prompt(engine));
      rl.prompt();
    }
  } finally {
    process.off('SIGINT', onSigint);
    rl.close();
  }
}
