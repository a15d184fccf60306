import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DumpError } from '../../../src/core/errors.js';
import { machineFromSpec, openVarietySource } from '../../../src/node/varieties/variety-source.js';

const invalid = async (arg: string, what: RegExp): Promise<void> => {
  await assert.rejects(openVarietySource(arg), (e: unknown) => {
    assert.ok(e instanceof DumpError, String(e));
    assert.equal(e.code, 'INVALID_ARGUMENT', e.message);
    assert.match(e.message, what);
    assert.doesNotMatch(e.message, /ENOENT|cannot open/);
    return true;
  });
};

test('a machine spec with a typo says what is wrong with it, and that no such file exists either', async () => {
  await invalid('bogus:8G', /^bogus:8G: no such file, and not a valid machine spec "bogus:8G": unknown profile "bogus"; a spec is <profile>:<RAM>/);
  await invalid('workstation:8G:vms=-1', /vms must be an integer 0\.\.64 .*got "-1"/);
  await invalid(':seed=abc', /the profile is missing/);
  await invalid('workstation', /the RAM size is missing/);
  await invalid('workstation:8G:seed=abc', /seed must be an integer/);
  await invalid('workstation:8G:cpus=4', /"cpus=4" is not vms=N or seed=N/);
  await invalid('workstation:lots', /RAM "lots" is not a size like 4G/);
  await invalid('/no/such/dump.dmp', /no such file, and not a valid machine spec/);
});

test('a valid spec makes the machine; a file of that name is read as the file', async () => {
  const m = machineFromSpec('server:256M:vms=0:seed=0x10');
  assert.equal(m.ramPages * 4096, 256 * 1024 * 1024);
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-spec-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'workstation:8G');
  writeFileSync(file, 'not a dump');
  await assert.rejects(openVarietySource(file), (e: unknown) => e instanceof DumpError && e.code === 'UNKNOWN_FORMAT');
});
