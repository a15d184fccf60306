#!/usr/bin/env node
// Published entry: runs the compiled CLI (npm run build makes dist/).
import { main, reportError } from '../dist/node/cli/main.js';
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => process.exit(reportError(e)),
);
