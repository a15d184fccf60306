// --role and --objects/--database parsing for the scale-out deployment.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatRoles, parseRoles } from '../../../src/node/serve/roles.js';
import { openObjectStore, openScaleOutDeployment, scaleOutFromCli } from '../../../src/node/serve/scale-out.js';
import { FileObjectStore } from '../../../src/node/serve/embedded/file-object-store.js';
import { S3ObjectStore } from '../../../src/node/serve/s3/object-store.js';
import { corpusFile, corpusSkip } from '../../helpers/corpus.js';
import { crashIdOf, crashpadUpload, curl, embeddedDeployment, runCliAsync } from './e2e-suite.js';

test('--role: one or several of collector, processor, web; all by default', () => {
  assert.deepEqual(parseRoles(undefined), { collector: true, processor: true, web: true });
  assert.deepEqual(parseRoles('collector'), { collector: true, processor: false, web: false });
  assert.deepEqual(parseRoles('processor, web'), { collector: false, processor: true, web: true });
  assert.equal(formatRoles(parseRoles('web,collector')), 'collector,web');
  assert.equal(formatRoles(parseRoles('all')), 'all');
  assert.throws(() => parseRoles('collectr'), /"collectr" is not one of collector, processor, web/);
});

test('--objects: an S3 URL or a directory; other URLs are refused', () => {
  const s3 = openObjectStore('s3://dumps?endpoint=http://127.0.0.1:9');
  assert.ok(s3 instanceof S3ObjectStore);
  s3.close?.();
  assert.ok(openObjectStore('/srv/dumps') instanceof FileObjectStore);
  assert.throws(() => openObjectStore('https://example.invalid/dumps'), /want s3:/);
});

test('--database: a postgres:// URL, and a store is required (the password never echoed)', async () => {
  await assert.rejects(openScaleOutDeployment({ database: 'mysql://u:hunter2@h/db', objects: '/tmp/x' }), (e: Error) => /want postgres/.test(e.message) && !e.message.includes('hunter2'));
  await assert.rejects(scaleOutFromCli({ database: 'postgres://h/db' }, {}), /--objects/);
});

test('dumpkit serve --role collector takes uploads and leaves them queued; --role web,processor processes them', { skip: corpusSkip }, async () => {
  const dep = embeddedDeployment();
  try {
    const collector = await dep.start({ args: ['--role', 'collector', '--min-free-bytes', '0'] });
    let id: string;
    try {
      const up = crashpadUpload(collector.url, corpusFile('minidump/breakpad/linux_null_read_av.dmp'), { prod: 'Roles', ver: '1' });
      assert.equal(up.status, 200, up.body);
      id = crashIdOf(up);
      const api = curl([`${collector.url}api/crashes/${id}`]);
      assert.equal(api.status, 404);
      assert.match(api.body, /runs no web pages/);
    } finally {
      await collector.stop();
    }
    const rest = await dep.start({ args: ['--role', 'web,processor'] });
    try {
      const post = curl(['-F', 'a=b', `${rest.url}submit`]); // no collector here: a POST is a web request without this server's Origin
      assert.equal(post.status, 403, post.body);
      let state = '';
      for (let i = 0; i < 100 && state !== 'processed'; i++, await new Promise((r) => setTimeout(r, 100))) {
        state = (JSON.parse(curl([`${rest.url}api/crashes/${id}`]).body) as { state: string }).state;
      }
      assert.equal(state, 'processed');
    } finally {
      await rest.stop();
    }
  } finally {
    await dep.dispose();
  }
});

test('dumpkit serve: --objects without --database, and an unknown --role, are refused', async () => {
  const r = await runCliAsync(['serve', '--data', '/nonexistent-dumpkit', '--objects', '/tmp', '--port', '0']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--objects is for the scale-out deployment/);
  const q = await runCliAsync(['serve', '--data', '/nonexistent-dumpkit', '--role', 'collectr', '--port', '0']);
  assert.notEqual(q.status, 0);
  assert.match(q.stderr, /"collectr" is not one of/);
});
