// A scale-out deployment under test (test/node/serve/e2e-suite.ts's DeploymentUnderTest): a fresh
// PostgreSQL database and a fresh object folder (the shared-filesystem store) or S3 URL, given to
// the real command line as `--database URL --objects STORE`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnServe, type DeploymentUnderTest } from '../node/serve/e2e-suite.js';

/** `dumpkit serve --database URL --objects STORE` with objects in a fresh folder (or `objects` when given). */
export function scaleOutDeployment(databaseUrl: string, objects?: string): DeploymentUnderTest & { objects: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-scale-'));
  const store = objects ?? join(dir, 'objects');
  const storageArgs = ['--database', databaseUrl, '--objects', store];
  return {
    dir,
    objects: store,
    storageArgs,
    start: (opts = {}) => spawnServe([...storageArgs, ...(opts.args ?? [])], opts.env),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
}
