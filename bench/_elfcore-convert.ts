// Child process of bench/elfcore.ts: converts one ELF core to a minidump and reports time and peak memory as JSON.
// Usage: node --import tsx bench/_elfcore-convert.ts CORE OUT VARIETY
import type { Variety } from '../src/core/minidump/varieties.js';
import { convertCoreFile } from '../src/node/elfcore/convert-core.js';
import { FileSource } from '../src/node/file-source.js';

const [input, output, to] = process.argv.slice(2) as [string, string, Variety];
const t0 = performance.now();
const source = FileSource.open(input);
const r = await convertCoreFile(source, input, output, to, { overwrite: true });
await source.close();
const ms = performance.now() - t0;
process.stdout.write(JSON.stringify({ ms, bytes: r.size, memoryBytes: r.memoryBytes, maxRssKiB: process.resourceUsage().maxRSS }) + '\n');
