import { closeSync, existsSync, openSync } from 'node:fs';
import type { Command } from 'commander';
import { DumpError } from '../../../core/errors.js';
import { DEFAULT_CONFIG_PATH } from '../../handler/config.js';
import { logOutcome, runHandler } from '../../handler/core-handler.js';
import { DEFAULT_FORWARDER, DEFAULT_SOCKET } from '../../handler/forwarder.js';
import { DEFAULT_STATE_DIR, install, status, uninstall, type Locations } from '../../handler/install.js';
import { requireRoot } from '../../handler/kernel-settings.js';

/**
 * `dumpkit handler install|uninstall|status|core`: the system crash handler, Linux's counterpart of
 * Windows Error Reporting's LocalDumps (docs/handler.md). DUMPKIT_HANDLER_CONFIG and
 * DUMPKIT_HANDLER_STATE_DIR change the default configuration file and state folder.
 */
interface LocationOptions {
  config?: string;
  stateDir?: string;
}

function locations(o: LocationOptions): Locations {
  return {
    configPath: o.config ?? process.env.DUMPKIT_HANDLER_CONFIG ?? DEFAULT_CONFIG_PATH,
    stateDir: o.stateDir ?? process.env.DUMPKIT_HANDLER_STATE_DIR ?? DEFAULT_STATE_DIR,
  };
}

const CONFIG_HELP = `configuration file (JSON, WER LocalDumps keys; default ${DEFAULT_CONFIG_PATH} or DUMPKIT_HANDLER_CONFIG)`;
const STATE_HELP = `folder of the state file that keeps the previous core_pattern (default ${DEFAULT_STATE_DIR} or DUMPKIT_HANDLER_STATE_DIR)`;

export function register(program: Command): void {
  const handler = program.command('handler').description('system crash handler (like Windows Error Reporting LocalDumps): the kernel pipes every crash\'s core to dumpkit, which writes a minidump into DumpFolder');

  handler
    .command('install')
    .description('register dumpkit in kernel.core_pattern (saving the previous pattern and core_pipe_limit); needs root')
    .option('--config <file>', CONFIG_HELP)
    .option('--state-dir <dir>', STATE_HELP)
    .option('--entry <file>', 'the dumpkit script the kernel runs (default: this package\'s bin/dumpkit.cjs, which needs npm run build)')
    .option('--node <file>', 'the node binary the kernel runs (default: this one)')
    .option('--resident', `point the pattern at a small compiled forwarder that hands each crash to \`dumpkit handler daemon\` (falling back to the per-crash Node handler when the daemon is not running); needs a C compiler (cc)`)
    .option('--forwarder <file>', `with --resident: where the forwarder is compiled to (default ${DEFAULT_FORWARDER})`)
    .option('--socket <file>', `with --resident: the daemon's socket (default ${DEFAULT_SOCKET})`)
    .option('--json', 'print the result as JSON')
    .action(async (o: LocationOptions & { entry?: string; node?: string; json?: boolean; resident?: boolean; forwarder?: string; socket?: string }) => {
      if (!o.resident && (o.forwarder || o.socket)) throw new DumpError('INVALID_ARGUMENT', '--forwarder and --socket go with --resident');
      const resident = o.resident ? { forwarder: o.forwarder ?? DEFAULT_FORWARDER, socket: o.socket ?? DEFAULT_SOCKET } : undefined;
      const r = await install(locations(o), { entry: o.entry, node: o.node, resident });
      if (o.json) return void process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      process.stdout.write(
        `installed: kernel.core_pattern = ${r.pattern}\n` +
          `kernel.core_pipe_limit = ${r.pipeLimit} (was ${r.previousPipeLimit})\n` +
          `previous core_pattern ${JSON.stringify(r.previousPattern)} saved in ${r.statePath}; dumpkit handler uninstall puts it back\n` +
          `configuration: ${r.configPath}${r.configCreated ? ' (created with the defaults)' : ''}; dumps go to ${r.dumpFolder}\n` +
          (r.resident ? `resident: forwarder ${r.resident.forwarder} hands crashes to the daemon on ${r.resident.socket}; start it with dumpkit handler daemon${r.resident.socket === DEFAULT_SOCKET ? '' : ` --socket ${r.resident.socket}`} (without it, each crash runs the Node handler)\n` : ''),
      );
    });

  handler
    .command('uninstall')
    .description('put back the core_pattern and core_pipe_limit saved by install; needs root')
    .option('--state-dir <dir>', STATE_HELP)
    .option('--force', 'restore even if kernel.core_pattern was changed by someone else since install')
    .option('--json', 'print the result as JSON')
    .action((o: LocationOptions & { force?: boolean; json?: boolean }) => {
      const r = uninstall(locations(o), { force: o.force });
      if (o.json) return void process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      process.stdout.write(r.installed ? `uninstalled: kernel.core_pattern = ${r.restoredPattern}, core_pipe_limit = ${r.restoredPipeLimit}\n` : 'the dumpkit handler is not installed; nothing to do\n');
    });

  handler
    .command('status')
    .description('what is installed, the configuration, and the latest crashes')
    .option('--config <file>', CONFIG_HELP)
    .option('--state-dir <dir>', STATE_HELP)
    .option('-n, --recent <count>', 'how many recent crashes to show', '10')
    .option('--json', 'print the status as JSON')
    .action((o: LocationOptions & { recent: string; json?: boolean }) => {
      const n = Number(o.recent);
      if (!Number.isInteger(n) || n < 0 || n > 1000) throw new DumpError('INVALID_ARGUMENT', `--recent must be an integer from 0 to 1000, not ${JSON.stringify(o.recent)}`);
      const s = status(locations(o), n);
      if (o.json) return void process.stdout.write(JSON.stringify(s, null, 2) + '\n');
      const lines = [
        `installed: ${s.installed ? 'yes' : 'no'}${s.foreignHandler ? ' (kernel.core_pattern is a dumpkit handler not recorded in the state file)' : ''}`,
        `kernel.core_pattern: ${s.corePattern}`,
        `kernel.core_pipe_limit: ${s.corePipeLimit}`,
      ];
      if (s.state) lines.push(`state: ${s.statePath} (installed ${s.state.installedAt}; uninstall restores ${JSON.stringify(s.state.previousPattern)}, core_pipe_limit ${s.state.previousPipeLimit})`);
      if (s.state?.resident) lines.push(`resident: forwarder ${s.state.resident.forwarder}, daemon socket ${s.state.resident.socket} (${existsSync(s.state.resident.socket) ? 'present' : 'absent: crashes fall back to the Node handler; start dumpkit handler daemon'})`);
      lines.push(`configuration: ${s.configPath}${s.configError ? ` — ERROR: ${s.configError}` : ''}`);
      if (s.config) {
        const c = s.config;
        lines.push(`  DumpFolder ${c.DumpFolder}, DumpCount ${c.DumpCount}, DumpType ${JSON.stringify(c.DumpType)}${c.DumpType === 0 ? ` (CustomDumpFlags 0x${c.CustomDumpFlags.toString(16)})` : ''}, KeepCore ${c.KeepCore}`);
        lines.push(`  MaxConcurrent ${c.MaxConcurrent}, CorePipeLimit ${c.CorePipeLimit}, TimeLimitSeconds ${c.TimeLimitSeconds}, CoreSizeLimitMB ${c.CoreSizeLimitMB}, LogFile ${c.LogFile}`);
        for (const [app, v] of Object.entries(c.Applications)) lines.push(`  Applications.${app}: ${JSON.stringify(v)}`);
      }
      lines.push(s.recentCrashes.length ? `recent crashes (${s.recentCrashes.length}):` : 'recent crashes: none logged');
      for (const r of s.recentCrashes) {
        const f = r.fields;
        lines.push(`  ${r.time} ${f.exe ?? '?'} pid ${f.pid ?? '?'} ${f.signal ?? ''} ${f.result ?? ''}${f.dump ? ` → ${f.dump}` : ''}${f.error ? ` (${f.error})` : ''}`);
      }
      process.stdout.write(lines.join('\n') + '\n');
    });

  handler
    .command('daemon')
    .description('the resident crash handler: listens on a Unix socket for the forwarder that install --resident puts in the pattern; runs until SIGTERM or SIGINT')
    .option('--config <file>', CONFIG_HELP)
    .option('--socket <file>', `the socket (folder created 0700, socket 0600; default ${DEFAULT_SOCKET})`)
    .option('--keep-core', 'keep the ELF core beside the minidump whatever KeepCore says')
    .action(async (o: { config?: string; socket?: string; keepCore?: boolean }) => {
      requireRoot('dumpkit handler daemon');
      const socketPath = o.socket ?? DEFAULT_SOCKET;
      // Loaded here only: it brings koffi, which the per-crash `handler core` must not pay for.
      const { startDaemon } = await import('../../handler/daemon.js');
      const d = await startDaemon({ socketPath, configPath: o.config ?? process.env.DUMPKIT_HANDLER_CONFIG ?? DEFAULT_CONFIG_PATH, keepCore: o.keepCore });
      process.stderr.write(`dumpkit handler daemon: listening on ${socketPath} (pid ${process.pid})\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGTERM', stop).off('SIGINT', stop);
          // Crashes in flight are finished (each has its time cap), then the socket goes.
          void d.stop().then(resolve);
        };
        process.on('SIGTERM', stop).on('SIGINT', stop);
      });
    });

  handler
    .command('core')
    .description('what the kernel runs for a crash (core on standard input); not for use by hand')
    .argument('<pid>', '%P: the crashed process, in the initial pid namespace')
    .argument('<tid>', '%i: the crashing thread')
    .argument('<signal>', '%s: the signal number')
    .argument('<time>', '%t: seconds since 1970')
    .argument('[name...]', '%e: the crashing thread\'s name (may hold spaces)')
    .option('--config <file>', CONFIG_HELP)
    .option('--keep-core', 'keep the ELF core beside the minidump whatever KeepCore says')
    .action(async (pid: string, tid: string, signal: string, time: string, name: string[], o: { config?: string; keepCore?: boolean }) => {
      if (process.stdin.isTTY) throw new DumpError('INVALID_ARGUMENT', 'dumpkit handler core reads a core from standard input: the kernel runs it (dumpkit handler install); to convert a core file use dumpkit convert');
      const outcome = await runHandler([pid, tid, signal, time, ...name], {
        configPath: o.config ?? process.env.DUMPKIT_HANDLER_CONFIG ?? DEFAULT_CONFIG_PATH,
        keepCore: o.keepCore,
        input: process.stdin,
        releaseInput: releaseStdin,
      });
      logOutcome(outcome);
      // Exit code 0 whatever happened: the kernel ignores it, the log says it.
    });
}

/**
 * Closes the core's pipe for good: Node keeps descriptor 0 open after process.stdin is destroyed
 * (libuv never closes 0–2), and the kernel holds the crashed process until every reader is gone.
 * /dev/null takes descriptor 0, so nothing else lands there.
 */
async function releaseStdin(): Promise<void> {
  if (!process.stdin.closed) {
    await new Promise<void>((r) => {
      process.stdin.once('close', () => r());
      process.stdin.destroy();
    });
  }
  closeSync(0);
  openSync('/dev/null', 'r');
}
