// Which Deployment a `dumpkit serve` process runs on, from its options: `--data DIR` (embedded:
// files + SQLite) or `--database postgres://…` (scale-out, src/node/serve/postgres, with the S3 or
// shared-folder ObjectStore). One place, so every command (`serve`, `serve reprocess`) agrees.
import { DumpError } from '../../core/errors.js';
import type { Deployment } from './contract.js';
import { openEmbeddedDeployment } from './embedded/deployment.js';

export interface DeploymentOptions {
  /** `--data DIR`: the embedded deployment's directory. */
  data?: string;
  /** `--database URL`: PostgreSQL (scale-out). */
  database?: string;
}

/** Scale-out factories register here (the postgres module), so this file needs no import of pg. */
export const scaleOutDeployments: { open?: (opts: DeploymentOptions) => Promise<Deployment> } = {};

export async function openDeployment(opts: DeploymentOptions): Promise<Deployment> {
  if (opts.database !== undefined) {
    if (!scaleOutDeployments.open) throw new DumpError('NOT_IMPLEMENTED', '--database: this build has no scale-out deployment');
    return scaleOutDeployments.open(opts);
  }
  if (opts.data === undefined) throw new DumpError('INVALID_ARGUMENT', 'give --data DIR (embedded) or --database postgres://… (scale-out)');
  return openEmbeddedDeployment(opts.data);
}
