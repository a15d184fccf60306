// Child process of bench/varieties.ts: converts one dump and reports time and peak memory as JSON.
// Usage: node --import tsx bench/_varieties-convert.ts IN OUT VARIETY
import { variety, parseVariety } from '../src/core/varieties/rules.js';
import { writeFileSafely } from '../src/node/varieties/cli-util.js';
import { openVarietySource, writeFromSource } from '../src/node/varieties/variety-source.js';

const [input, output, to] = process.argv.slice(2) as [string, string, string];
const t0 = performance.now();
const src = await openVarietySource(input);
const r = await writeFileSafely(output, true, (sink) => writeFromSource(src, variety(parseVariety(to)), sink));
await src.close();
const ms = performance.now() - t0;
process.stdout.write(JSON.stringify({ ms, bytes: r.bytes, pages: r.pages, maxRssKiB: process.resourceUsage().maxRSS }) + '\n');
