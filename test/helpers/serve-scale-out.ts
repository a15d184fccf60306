// A scale-out deployment under test (test/node/serve/e2e-suite.ts's DeploymentUnderTest): a fresh
// PostgreSQL database and a fresh object folder (the shared-filesystem store) or S3 URL.
// Until `dumpkit serve` itself imports src/node/serve/scale-out.ts and has --objects, the server
// processes load it with --import (NODE_OPTIONS) and name the store in DUMPKIT_SERVE_OBJECTS.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { OBJECTS_ENV } from '../../src/node/serve/scale-out.js';
import { spawnServe, type DeploymentUnderTest } from '../node/serve/e2e-suite.js';
import { projectRoot, tsxLoader } from './cli.js';

const register = pathToFileURL(join(projectRoot, 'src/node/serve/scale-out.ts')).href;

/** The environment that makes a `dumpkit serve` child process able to open `--database`. */
export function scaleOutEnv(objects: string): Record<string, string> {
  const prior = process.env.NODE_OPTIONS ? `${process.env.NODE_OPTIONS} ` : '';
  return { NODE_OPTIONS: `${prior}--import ${tsxLoader} --import ${register}`, [OBJECTS_ENV]: objects };
}

/** `dumpkit serve --database URL` with objects in a fresh folder (or `objects` when given). */
export function scaleOutDeployment(databaseUrl: string, objects?: string): DeploymentUnderTest & { objects: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-scale-'));
  const store = objects ?? join(dir, 'objects');
  return {
    dir,
    objects: store,
    storageArgs: ['--database', databaseUrl],
    start: (opts = {}) => spawnServe(['--database', databaseUrl, ...(opts.args ?? [])], { ...scaleOutEnv(store), ...opts.env }),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
}
