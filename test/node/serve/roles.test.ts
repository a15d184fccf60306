// --role and --objects/--database parsing for the scale-out deployment.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatRoles, parseRoles } from '../../../src/node/serve/roles.js';
import { openObjectStore, openScaleOutDeployment, scaleOutFromCli } from '../../../src/node/serve/scale-out.js';
import { FileObjectStore } from '../../../src/node/serve/embedded/file-object-store.js';
import { S3ObjectStore } from '../../../src/node/serve/s3/object-store.js';

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
