// The page's side of the worker protocol: typed requests, answered as promises; errors as ViewerError
// with the DumpError code the worker sent.
import type { Op, RequestMessage, Requests, ResponseMessage, WireError } from './protocol.js';

export class ViewerError extends Error {
  constructor(readonly wire: WireError) {
    super(wire.message);
    this.name = 'ViewerError';
  }
  get code(): string {
    return this.wire.code;
  }
}

export class DumpClient {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor() {
    this.worker = new Worker(new URL('./dump-worker.ts', import.meta.url), { type: 'module', name: 'dumpkit-viewer' });
    this.worker.onmessage = (ev: MessageEvent<ResponseMessage>) => {
      const m = ev.data;
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.ok) w.resolve(m.result);
      else w.reject(new ViewerError(m.error));
    };
    this.worker.onerror = (ev) => {
      const e = new ViewerError({ code: 'BUG', message: `the dump worker failed: ${ev.message}` });
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
    };
  }

  request<K extends Op>(op: K, args: Requests[K]['args']): Promise<Requests[K]['result']> {
    const id = this.nextId++;
    const msg: RequestMessage<K> = { id, op, args };
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage(msg);
    });
  }

  close(): void {
    this.worker.terminate();
  }
}
