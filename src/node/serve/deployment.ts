// Which Deployment a `dumpkit serve` process runs on, from its options: `--data DIR` (embedded:
// files + SQLite) or `--database postgres://… --objects s3://…|DIR` (scale-out,
// src/node/serve/scale-out.ts, loaded only when asked for so the embedded default never loads pg
// nor the AWS SDK). One place, so every command (`serve`, `serve reprocess`) agrees.
import { DumpError } from '../../core/errors.js';
import type { Deployment } from './contract.js';
import { openEmbeddedDeployment } from './embedded/deployment.js';

export interface DeploymentOptions {
  /** `--data DIR`: the embedded deployment's directory. */
  data?: string;
  /** `--database URL`: PostgreSQL (scale-out). */
  database?: string;
  /** `--objects s3://bucket?endpoint=…|DIR`: the scale-out deployment's object store. */
  objects?: string;
}

export async function openDeployment(opts: DeploymentOptions): Promise<Deployment> {
  if (opts.database !== undefined) {
    if (opts.data !== undefined) throw new DumpError('INVALID_ARGUMENT', 'give --data DIR (embedded) or --database postgres://… (scale-out), not both');
    const { scaleOutFromCli } = await import('./scale-out.js');
    return scaleOutFromCli({ ...opts, database: opts.database });
  }
  if (opts.objects !== undefined) throw new DumpError('INVALID_ARGUMENT', '--objects is for the scale-out deployment (with --database postgres://…); --data DIR holds its own objects');
  if (opts.data === undefined) throw new DumpError('INVALID_ARGUMENT', 'give --data DIR (embedded) or --database postgres://… (scale-out)');
  return openEmbeddedDeployment(opts.data);
}
