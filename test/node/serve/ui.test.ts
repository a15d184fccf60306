// The serve web pages in Chromium, on the embedded deployment.
import { launchBrowser, noBrowserReason } from '../../helpers/playwright.js';
import { defineServeUiTest, embeddedDeployment } from './e2e-suite.js';

defineServeUiTest('embedded', async () => embeddedDeployment(), noBrowserReason(), launchBrowser);
