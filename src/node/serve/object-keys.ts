// ObjectStore keys (contract: '/'-separated, relative, no '..'): one check every store applies.
import { DumpError } from '../../core/errors.js';

/** Refuses keys that could leave a store's root (or mean different things to different stores). */
export function checkObjectKey(key: string): void {
  const parts = key.split('/');
  if (!key || key.startsWith('/') || key.includes('\\') || key.includes('\0') || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new DumpError('INVALID_ARGUMENT', `object key ${JSON.stringify(key)} is not a relative '/'-separated key`);
  }
}
