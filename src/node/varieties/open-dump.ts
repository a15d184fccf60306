import { Diagnostics } from '../../core/diagnostics.js';
import { openKernelDumpForVarieties, type OpenedDump } from '../../core/varieties/opened-dump.js';
import { FileSource } from '../file-source.js';

export { varietyOfDump, type OpenedDump } from '../../core/varieties/opened-dump.js';

/** A kernel dump file opened for convert/plan/crash/live (core/varieties/opened-dump.ts does the work). */
export async function openDump(path: string, diag = new Diagnostics()): Promise<OpenedDump> {
  const source = FileSource.open(path);
  try {
    return await openKernelDumpForVarieties(source, path, diag);
  } catch (e) {
    await source.close();
    throw e;
  }
}
