// The serve web pages in Chromium, on the scale-out deployment (PostgreSQL + a shared folder).
import { after, test } from 'node:test';
import { launchBrowser, noBrowserReason } from '../../../helpers/playwright.js';
import { dropTestDatabases, testDatabase } from '../../../helpers/postgres.js';
import { scaleOutDeployment } from '../../../helpers/serve-scale-out.js';
import { defineServeUiTest } from '../e2e-suite.js';

after(dropTestDatabases);
const db = await testDatabase();
if (db.skip !== undefined) test('scale-out web pages', { skip: db.skip }, () => undefined);
else {
  const dep = scaleOutDeployment(db.url);
  defineServeUiTest('scale-out (PostgreSQL)', async () => dep, noBrowserReason(), launchBrowser);
}
