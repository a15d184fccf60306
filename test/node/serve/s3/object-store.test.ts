// The ObjectStore contract on S3ObjectStore, against s3rver (an S3-compatible server on npm, run
// on loopback in this process: real HTTP, real SDK requests, multipart uploads included).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import S3rver from 's3rver';
import { parseS3Url, S3ObjectStore } from '../../../../src/node/serve/s3/object-store.js';
import { defineObjectStoreSuite } from '../contract-suite.js';

/** s3rver on a free loopback port with one bucket; its URL for --objects. */
export async function startS3rver(bucket: string): Promise<{ url: (prefix?: string) => string; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: bucket, configs: [] }] });
  const { port } = await server.run();
  process.env.AWS_ACCESS_KEY_ID ??= 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'S3RVER';
  return {
    url: (prefix = '') => `s3://${bucket}/${prefix}?endpoint=http://127.0.0.1:${port}`,
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const server = await startS3rver('dumps');
after(() => server.close());

defineObjectStoreSuite('S3 (s3rver)', async () => {
  const objects = S3ObjectStore.fromUrl(server.url('serve'));
  return { objects, close: async () => objects.close() };
}, {
  // s3rver ignores If-None-Match: the HEAD before the upload refuses an existing key, but two
  // uploads racing for one new key both succeed there (AWS S3 and MinIO refuse the second, 412)
  atomicCreate: false,
});

describe('S3 --objects URLs', () => {
  test('bucket, prefix, endpoint, region and path style', () => {
    const l = parseS3Url('s3://crash-dumps/prod/eu?endpoint=http://127.0.0.1:9000&region=eu-west-1');
    assert.equal(l.bucket, 'crash-dumps');
    assert.equal(l.prefix, 'prod/eu/');
    assert.equal(l.config.endpoint, 'http://127.0.0.1:9000');
    assert.equal(l.config.region, 'eu-west-1');
    assert.equal(l.config.forcePathStyle, true, 'an S3-compatible endpoint: bucket in the path');
    const aws = parseS3Url('s3://crash-dumps');
    assert.equal(aws.prefix, '');
    assert.equal(aws.config.forcePathStyle, false, 'AWS itself: bucket in the host name');
    assert.equal(parseS3Url('s3://b?endpoint=http://x&path-style=false').config.forcePathStyle, false);
  });

  test('malformed URLs are refused with a reason', () => {
    for (const bad of ['dumps', 'http://bucket/x', 's3://b?endpoint=http://x&secret=1', 's3://b/a%2F..%2Fx']) {
      assert.throws(() => parseS3Url(bad), (e: Error) => /--objects|object key/.test(e.message), bad);
    }
  });
});
