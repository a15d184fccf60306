// The end-to-end suite (the same one the embedded deployment runs) on the scale-out deployment:
// PostgreSQL for crashes and the queue, a shared folder for the objects. Each deployment the suite
// asks for is a fresh database and folder.
import { after, test } from 'node:test';
import { dropTestDatabases, testDatabase } from '../../../helpers/postgres.js';
import { scaleOutDeployment } from '../../../helpers/serve-scale-out.js';
import { defineServeSuite } from '../e2e-suite.js';

after(dropTestDatabases);
const db = await testDatabase();
if (db.skip !== undefined) test('scale-out end to end', { skip: db.skip }, () => undefined);
else {
  let first: string | undefined = db.url;
  defineServeSuite('scale-out (--database postgres://…, objects in a shared folder)', async () => {
    const url = first ?? (await testDatabase()).url!;
    first = undefined;
    return scaleOutDeployment(url);
  });
}
