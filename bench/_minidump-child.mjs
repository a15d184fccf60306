// Child process for bench/minidump.ts: `node [--import tsx] bench/_minidump-child.mjs <main module URL> info <file>`
// runs the CLI's main() in a fresh process (stdout discarded) and reports its peak RSS (VmHWM) on stderr as JSON.
import { readFileSync } from 'node:fs';

const [mainUrl, ...args] = process.argv.slice(2);
const { main } = await import(mainUrl);
const realOut = process.stdout.write.bind(process.stdout);
process.stdout.write = () => true;
const code = await main(args);
process.stdout.write = realOut;
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
process.stderr.write(JSON.stringify({ code, peakRssKiB: Number(hwm) }) + '\n');
process.exit(code);
