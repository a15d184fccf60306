/**
 * Runs INSIDE headless Chromium: summarizes the minidumps the test put in globalThis.DUMPKIT_FILES
 * (name → base64) through Blob → BlobSource → Minidump, and writes the JSON into <pre id="result">.
 */
import { summarizeBlobs } from './minidump-summary.js';

const files = (globalThis as { DUMPKIT_FILES?: Record<string, string> }).DUMPKIT_FILES ?? {};
const target = document.getElementById('result')!;
summarizeBlobs(files).then(
  (r) => {
    target.textContent = JSON.stringify(r);
  },
  (e: unknown) => {
    target.textContent = JSON.stringify({ error: String(e) });
  },
);
