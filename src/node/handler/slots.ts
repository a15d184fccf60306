import { createServer, type Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A machine-wide counting semaphore for handlers: slot i is the Linux abstract Unix socket name
 * `\0dumpkit-handler-<key>-<i>`. Binding a name succeeds for one process only and the kernel
 * frees it when that process exits, however it exits (no stale lock files, no pid reuse, no
 * native code: Node has no flock). A handler that finds every slot taken polls again.
 */
export interface Slot {
  index: number;
  /** Milliseconds spent waiting for it. */
  waitedMs: number;
  release(): Promise<void>;
}

/** FNV-1a of the key (a configuration path), so that the name stays short. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(text)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

export function slotName(key: string, index: number): string {
  return `\0dumpkit-handler-${hash(key)}-${index}`;
}

function tryBind(name: string): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer((c) => c.destroy());
    server.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? resolve(undefined) : reject(e)));
    server.listen({ path: name, exclusive: true }, () => resolve(server));
  });
}

/** Takes one of `count` slots, waiting as long as it takes; undefined if `stop` is aborted first. */
export async function acquireSlot(key: string, count: number, stop?: AbortSignal): Promise<Slot | undefined> {
  const start = performance.now();
  for (let round = 0; ; round++) {
    // Start at a different slot each round so that waiters spread over the slots.
    const first = (process.pid + round) % count;
    for (let k = 0; k < count; k++) {
      const index = (first + k) % count;
      const server = await tryBind(slotName(key, index));
      if (server) {
        return {
          index,
          waitedMs: performance.now() - start,
          release: () => new Promise<void>((r) => server.close(() => r())),
        };
      }
    }
    if (stop?.aborted) return undefined;
    await sleep(10 + Math.random() * 20);
  }
}
