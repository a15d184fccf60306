// Placeholder until the minidump reader lands (issue 2): replaced, not extended.
import type { ByteSource } from '../bytes/byte-source.js';
import { DumpError } from '../errors.js';

export async function summarizeMinidump(_source: ByteSource): Promise<Record<string, unknown>> {
  throw new DumpError('NOT_IMPLEMENTED', 'minidump reader not built yet');
}
export function formatMinidumpSummary(_summary: Record<string, unknown>): string {
  throw new DumpError('NOT_IMPLEMENTED', 'minidump reader not built yet');
}
