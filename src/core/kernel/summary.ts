// Placeholder until the kernel dump reader lands (issue 4): replaced, not extended.
import type { ByteSource } from '../bytes/byte-source.js';
import { DumpError } from '../errors.js';

export async function summarizeKernelDump(_source: ByteSource): Promise<Record<string, unknown>> {
  throw new DumpError('NOT_IMPLEMENTED', 'kernel dump reader not built yet');
}
export function formatKernelSummary(_summary: Record<string, unknown>): string {
  throw new DumpError('NOT_IMPLEMENTED', 'kernel dump reader not built yet');
}
