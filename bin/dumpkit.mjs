#!/usr/bin/env node
// Published entry: runs the bundled CLI (npm run build makes dist/cli/, see scripts/build.mjs).
import { main, reportError } from '../dist/cli/main.js';
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => process.exit(reportError(e)),
);
