// Retention: crashes older than N days, and beyond N per signature, are removed with their objects.
import type { Deployment } from './contract.js';

export interface RetentionOptions {
  days?: number;
  perSignature?: number;
}

/** One retention pass; returns the objects removed. */
export async function pruneOnce(deployment: Deployment, opts: RetentionOptions, now = Date.now()): Promise<number> {
  if (opts.days === undefined && opts.perSignature === undefined) return 0;
  const keys = await deployment.db.prune({
    ...(opts.days !== undefined ? { before: new Date(now - opts.days * 86_400_000) } : {}),
    ...(opts.perSignature !== undefined ? { keepPerSignature: opts.perSignature } : {}),
  });
  for (const k of keys) await deployment.objects.delete(k);
  return keys.length;
}
