// `--role collector|processor|web` (comma-separated for several; default: all three), for the
// scale-out deployment's processes: collectors take uploads (POST /submit, /symbols), processors
// take jobs from the queue, web servers answer the UI and the API.
import { DumpError } from '../../core/errors.js';
import type { ServeRoles } from './server.js';

export const ROLE_NAMES = ['collector', 'processor', 'web'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

export function parseRoles(value: string | undefined): ServeRoles {
  if (value === undefined || value === '' || value === 'all') return { collector: true, processor: true, web: true };
  const roles: ServeRoles = { collector: false, processor: false, web: false };
  for (const part of value.split(',').map((s) => s.trim())) {
    if (!(ROLE_NAMES as readonly string[]).includes(part)) {
      throw new DumpError('INVALID_ARGUMENT', `--role ${value}: ${JSON.stringify(part)} is not one of ${ROLE_NAMES.join(', ')} (or all)`);
    }
    roles[part as RoleName] = true;
  }
  return roles;
}

/** The role list as the `--role` value that gives it. */
export function formatRoles(r: ServeRoles): string {
  const on = ROLE_NAMES.filter((n) => r[n]);
  return on.length === ROLE_NAMES.length ? 'all' : on.join(',');
}
