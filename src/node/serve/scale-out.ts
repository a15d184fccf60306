// The scale-out deployment: `dumpkit serve --database postgres://… --objects s3://bucket?endpoint=…`
// (or `--objects DIR`, a folder every machine mounts). PostgreSQL holds the crashes, the symbol
// index and the job queue (src/node/serve/postgres); the ObjectStore holds dumps, attachments and
// symbol files (src/node/serve/s3, or the embedded FileObjectStore on a shared folder). Every
// process is stateless: run as many collectors, processors and web servers as the load needs
// (docs/serve-topology.md). deployment.ts imports this module when --database is given.
import { resolve } from 'node:path';
import { DumpError } from '../../core/errors.js';
import type { Deployment, ObjectStore } from './contract.js';
import { FileObjectStore } from './embedded/file-object-store.js';
import { openPostgres, type PostgresOptions } from './postgres/connect.js';
import { PostgresCrashDatabase } from './postgres/crash-database.js';
import { PostgresJobQueue, type PostgresJobQueueOptions } from './postgres/job-queue.js';
import { S3ObjectStore } from './s3/object-store.js';

export interface ScaleOutOptions {
  /** postgres://user:password@host:port/database */
  database: string;
  /** s3://bucket[/prefix]?endpoint=… or a directory shared by every machine. */
  objects: string;
  postgres?: PostgresOptions;
  queue?: PostgresJobQueueOptions;
}

/** The environment variable read when --objects is not given (container-style configuration). */
export const OBJECTS_ENV = 'DUMPKIT_SERVE_OBJECTS';

/** `--objects`: an S3 URL or a (shared) directory. */
export function openObjectStore(spec: string): ObjectStore & { close?(): void } {
  if (/^s3:/i.test(spec)) return S3ObjectStore.fromUrl(spec);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) throw new DumpError('INVALID_ARGUMENT', `--objects ${spec}: want s3://bucket?endpoint=… or a directory`);
  return new FileObjectStore(resolve(spec));
}

export async function openScaleOutDeployment(opts: ScaleOutOptions): Promise<Deployment> {
  if (!/^postgres(ql)?:\/\//.test(opts.database)) throw new DumpError('INVALID_ARGUMENT', `--database ${opts.database.replace(/:[^:@/]*@/, ':…@')}: want postgres://…`);
  const objects = openObjectStore(opts.objects);
  const pool = await openPostgres(opts.database, opts.postgres);
  const queue = new PostgresJobQueue(pool, opts.queue);
  const db = new PostgresCrashDatabase(pool);
  return {
    objects,
    db,
    queue,
    async close() {
      await queue.close();
      await db.close();
      await pool.end();
      objects.close?.();
    },
  };
}

/** deployment.ts's options, with --objects (or DUMPKIT_SERVE_OBJECTS) for the store. */
export async function scaleOutFromCli(opts: { database: string; objects?: string }, env: NodeJS.ProcessEnv = process.env): Promise<Deployment> {
  const objects = opts.objects ?? env[OBJECTS_ENV];
  if (!objects) throw new DumpError('INVALID_ARGUMENT', `--database needs --objects s3://bucket?endpoint=… or --objects DIR (or ${OBJECTS_ENV})`);
  return openScaleOutDeployment({ database: opts.database, objects });
}
