import { spawn, spawnSync } from 'node:child_process';
import type { Command } from 'commander';
import { parseIntOption } from '../../varieties/cli-util.js';
import { isLiveWorker } from '../../ui/worker-mark.js';

// In the CLI bundle the live-dump worker runs this file: it is the server's worker module that serves it.
if (isLiveWorker()) void import('../../ui/live-worker.js');

interface UiOptions {
  port: string;
  open: boolean;
  dumpDir?: string;
}

/** Opens the address in the desktop's browser with xdg-open, when there is one; never fails. */
function openBrowser(url: string): void {
  const found = spawnSync('sh', ['-c', 'command -v xdg-open'], { encoding: 'utf8' });
  if (found.status !== 0) {
    process.stderr.write('dumpkit ui: no xdg-open here: open the address above in a browser\n');
    return;
  }
  const child = spawn(found.stdout.trim(), [url], { stdio: 'ignore', detached: true });
  child.on('error', (e) => process.stderr.write(`dumpkit ui: could not open a browser (${e.message}): open the address above\n`));
  child.unref();
}

export function register(program: Command): void {
  program
    .command('ui')
    .description('serve the local web app (Processes page: create dumps; Viewer) on 127.0.0.1, with a random access token')
    .option('--port <n>', 'port on 127.0.0.1 (0: any free port)', '0')
    .option('--no-open', 'do not open a browser')
    .option('--dump-dir <dir>', 'dump folder (default: the settings\' folder, else $TMPDIR/dumpkit-<user>, mode 0700)')
    .action(async (opts: UiOptions) => {
      const port = parseIntOption(opts.port, '--port', 0, 65535);
      // Loaded here, not at start: `dumpkit --help` loads every command's bundle, and the server's
      // capture code defines koffi types that the capture command's bundle defines too.
      const { startUiServer } = await import('../../ui/server.js');
      const ui = await startUiServer({ port, dumpDir: opts.dumpDir });
      process.stdout.write(
        `dumpkit ui: serving on 127.0.0.1 only; open\n    ${ui.url}\n` +
          `dump folder: ${ui.dumpFolder()}\nsettings:    ${ui.settingsFile}\n(Ctrl-C to stop)\n`,
      );
      if (opts.open) openBrowser(ui.url);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.removeListener('SIGINT', stop);
          process.removeListener('SIGTERM', stop);
          void ui.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
