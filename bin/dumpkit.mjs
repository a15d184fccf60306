#!/usr/bin/env node
// The same entry as bin/dumpkit.cjs (the package's bin), for scripts that name this file.
import '../dist/cli/launch.cjs';
