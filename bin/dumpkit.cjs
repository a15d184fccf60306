#!/usr/bin/env node
// Published entry: the bundled CLI (npm run build makes dist/cli/, see scripts/build.mjs). CommonJS,
// so that Node starts it without its ES module loader.
require('../dist/cli/launch.cjs');
