// The end-to-end suite against the embedded deployment (files + SQLite), plus what only it has:
// a real full disk (a small tmpfs) answered 507 with everything accepted kept.
import { defineServeSuite, embeddedDeployment } from './e2e-suite.js';

defineServeSuite('embedded (--data DIR)', async () => embeddedDeployment());
