// Talking to `dumpkit ui`: JSON over fetch, same origin (the token travels in an HttpOnly cookie).
// Shapes mirror src/node/ui (the server) and docs/ui.md.

import type { DumpFailure } from '../../node/ui/wire.js';

export type { DumpFailure, JobState, LiveSettings, ModelMachine, ProcessRow, SettingsView, UiSettings } from '../../node/ui/wire.js';

/** A refused or failed request: the server's `{ error: { code, message, … } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { code: string; message: string; title?: string; advice?: string; detail?: string },
  ) {
    super(body.message);
  }
  /** As a dump failure (the dump requests answer in those words; others get generic ones). */
  failure(): DumpFailure {
    return {
      code: this.body.code,
      title: this.body.title ?? 'The request failed',
      advice: this.body.advice ?? (this.status === 403 ? 'Open the address `dumpkit ui` printed (with its ?token=) again.' : 'Try again in a few moments.'),
      detail: this.body.detail ?? this.body.message,
    };
  }
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(path, {
    method: init.method ?? 'GET',
    headers: init.body === undefined ? undefined : { 'Content-Type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    credentials: 'same-origin',
  });
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const err = (json as { error?: ApiError['body'] } | undefined)?.error ?? { code: String(res.status), message: res.statusText };
    throw new ApiError(res.status, err);
  }
  return json as T;
}

/** A failure from anything a request threw (network errors included). */
export function failureOf(e: unknown): DumpFailure {
  if (e instanceof ApiError) return e.failure();
  if (e instanceof TypeError) return { code: 'NETWORK', title: 'The server does not answer', advice: 'Is `dumpkit ui` still running? Start it again and open the address it prints.', detail: e.message };
  throw e;
}
