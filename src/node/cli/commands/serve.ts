import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { DumpError } from '../../../core/errors.js';
import { openDeployment, type DeploymentOptions } from '../../serve/deployment.js';
import type { ServeLimits } from '../../serve/http.js';
import { parseRoles } from '../../serve/roles.js';
import { startServe } from '../../serve/server.js';
import { reprocess } from '../../serve/web-api.js';

interface ServeCliOptions extends DeploymentOptions {
  role?: string;
  port: string;
  host: string;
  workers?: string;
  retentionDays?: string;
  keepPerSignature?: string;
  maxDumpBytes?: string;
  maxInFlight?: string;
  maxQueue?: string;
  minFreeBytes?: string;
  apiKeys?: string;
  uiDir?: string;
  allThreads?: boolean;
  leaseSeconds?: string;
}

function count(v: string | undefined, name: string, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new DumpError('INVALID_ARGUMENT', `${name} ${v}: not an integer ≥ ${min}`);
  return n;
}

/** `--api-keys FILE`: JSON `{ "<product>": ["key", …], "*": [ … ] }`. */
function readApiKeys(file: string): Record<string, string[]> {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DumpError('INVALID_ARGUMENT', `--api-keys ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!v || typeof v !== 'object' || Object.values(v).some((keys) => !Array.isArray(keys) || keys.some((k) => typeof k !== 'string' || k.length < 16))) {
    throw new DumpError('INVALID_ARGUMENT', `--api-keys ${file}: want {"<product>": ["<key of 16 or more characters>", …]}`);
  }
  return v as Record<string, string[]>;
}

export function register(program: Command): void {
  const serve = program
    .command('serve')
    .description('collect, process and group crash dumps from many machines (Breakpad/Crashpad uploads, symbols, web UI and JSON API)')
    .option('--data <dir>', 'embedded deployment: dumps, symbols and the SQLite database in this directory')
    .option('--database <url>', 'scale-out deployment: PostgreSQL (postgres://…)')
    .option('--objects <s3-url|dir>', 'scale-out deployment: dumps and symbols in S3 (s3://bucket[/prefix]?endpoint=…) or a folder every machine mounts')
    .option('--role <roles>', 'what this process runs: collector, processor, web, or a comma list (default: all)')
    .option('--port <n>', 'TCP port (0: any free one)', '8080')
    .option('--host <addr>', 'address to listen on (loopback by default; the web pages have no login)', '127.0.0.1')
    .option('--workers <n>', 'processing threads in this process, one job each (default: cores - 1, at least 1; 0: no processing here)')
    .option('--retention-days <n>', 'remove crashes older than this')
    .option('--keep-per-signature <n>', 'keep at most this many crashes per signature (newest)')
    .option('--max-dump-bytes <n>', 'largest minidump or attachment accepted (default 64 MiB)')
    .option('--max-in-flight <n>', 'uploads received at once before 503 + Retry-After (default 256)')
    .option('--max-queue <n>', 'crashes waiting to be processed before 429 + Retry-After (default 100000)')
    .option('--min-free-bytes <n>', 'free disk under which uploads get 507 (default 256 MiB)')
    .option('--api-keys <file>', 'JSON {"<product>": ["<key>", …]}: /submit and /symbols need a key (X-API-Key, Bearer, ?key=)')
    .option('--lease-seconds <n>', 'a job taken by a worker that died is taken again after this (default 60)')
    .option('--all-threads', "walk every thread of each crash, not only the crashing one")
    .option('--ui-dir <dir>', 'the built web UI (default: dist/ui)')
    .action(async (opts: ServeCliOptions) => {
      const limits: Partial<ServeLimits> = {};
      const set = <K extends keyof ServeLimits>(k: K, v: ServeLimits[K] | undefined) => {
        if (v !== undefined) limits[k] = v;
      };
      set('maxDumpBytes', count(opts.maxDumpBytes, '--max-dump-bytes', 1024));
      set('maxInFlightUploads', count(opts.maxInFlight, '--max-in-flight', 1));
      set('maxQueueDepth', count(opts.maxQueue, '--max-queue', 1));
      set('minFreeBytes', count(opts.minFreeBytes, '--min-free-bytes'));
      if (opts.apiKeys) limits.apiKeys = readApiKeys(opts.apiKeys);
      const days = count(opts.retentionDays, '--retention-days', 1);
      const per = count(opts.keepPerSignature, '--keep-per-signature', 1);
      const roles = parseRoles(opts.role);
      const deployment = await openDeployment(opts);
      const log = (line: string) => process.stderr.write(`${line}\n`);
      let handle;
      try {
        handle = await startServe({
          deployment,
          roles,
          host: opts.host,
          port: count(opts.port, '--port')!,
          limits,
          processorThreads: { ...(opts.data !== undefined ? { data: opts.data } : {}), ...(opts.database !== undefined ? { database: opts.database } : {}), ...(opts.objects !== undefined ? { objects: opts.objects } : {}) },
          processor: {
            workers: count(opts.workers, '--workers') ?? Math.max(1, availableParallelism() - 1),
            ...(opts.allThreads ? { allThreads: true } : {}),
            ...(opts.leaseSeconds !== undefined ? { leaseMs: count(opts.leaseSeconds, '--lease-seconds', 1)! * 1000 } : {}),
            // The end-to-end tests' way to have a job in hand when they kill the process.
            ...(process.env.DUMPKIT_SERVE_TEST_HOLD_MS ? { holdMs: Number(process.env.DUMPKIT_SERVE_TEST_HOLD_MS) } : {}),
          },
          retention: { ...(days !== undefined ? { days } : {}), ...(per !== undefined ? { perSignature: per } : {}) },
          ...(opts.uiDir ? { uiDir: opts.uiDir } : {}),
          log,
        });
      } catch (e) {
        await deployment.close();
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE' || code === 'EACCES') throw new DumpError('IO', `cannot listen on ${opts.host}:${opts.port}: ${code}`);
        throw e;
      }
      process.stdout.write(`dumpkit serve: listening on ${handle.url} (uploads: ${handle.url}submit, symbols: ${handle.url}symbols)\n`);
      await new Promise<void>((resolve) => {
        const stop = (sig: string) => {
          log(`dumpkit serve: ${sig}: finishing uploads and jobs in hand`);
          void handle
            .drain()
            .then(() => deployment.close())
            .then(() => {
              log('dumpkit serve: stopped');
              resolve();
            });
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    });

  serve
    .command('reprocess')
    .description('process crashes again (after their symbols arrived): by id, by signature, or all')
    .option('--data <dir>', 'embedded deployment directory')
    .option('--database <url>', 'scale-out deployment (postgres://…)')
    .option('--objects <s3-url|dir>', "the scale-out deployment's object store")
    .option('--id <id>', 'one crash (bp-…)')
    .option('--signature <s>', 'every crash with this signature')
    .option('--all', 'every crash')
    .action(async (_opts: unknown, cmd: Command) => {
      // --data/--database/--objects are also `serve`'s own options: commander gives them to the parent.
      const opts = cmd.optsWithGlobals<DeploymentOptions & { id?: string; signature?: string; all?: boolean }>();
      if ([opts.id, opts.signature, opts.all].filter((x) => x !== undefined).length !== 1) {
        throw new DumpError('INVALID_ARGUMENT', 'give exactly one of --id, --signature, --all');
      }
      const deployment = await openDeployment(opts);
      try {
        const n = await reprocess(deployment, { ...(opts.id ? { id: opts.id } : {}), ...(opts.signature !== undefined ? { signature: opts.signature } : {}), ...(opts.all ? { all: true } : {}) });
        process.stdout.write(`enqueued ${n} crash${n === 1 ? '' : 'es'} for processing\n`);
      } finally {
        await deployment.close();
      }
    });
}
