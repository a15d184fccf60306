// The dump worker: opens one dump at a time and answers the viewer's requests (protocol.ts) with the
// core, off the page's thread. Errors go back as DumpError codes; anything else is a bug, sent as BUG
// with its stack so the page shows it.
/// <reference lib="webworker" />
import { DumpError } from '../../core/errors.js';
import { memoryMapBuffers } from './memory-map.js';
import type { Op, RequestMessage, Requests, ResponseMessage, WireError } from './protocol.js';
import { openSession, type DumpSession } from './session.js';
import { HttpRangeSource, WorkerBlobSource } from './sources.js';

declare const self: DedicatedWorkerGlobalScope;

let session: DumpSession | undefined;

function current(): DumpSession {
  if (!session) throw new DumpError('INVALID_ARGUMENT', 'no dump is open');
  return session;
}

type Handler<K extends Op> = (args: Requests[K]['args']) => Promise<{ result: Requests[K]['result']; transfer?: Transferable[] }>;

const handlers: { [K in Op]: Handler<K> } = {
  async open({ location }) {
    session = undefined;
    const source =
      location.kind === 'file'
        ? new WorkerBlobSource(location.file, location.file.name)
        : await HttpRangeSource.open(`${self.location.origin}/files/${location.path.split('/').map(encodeURIComponent).join('/')}`, location.path);
    session = await openSession(source);
    return { result: session.summary };
  },
  async modules() {
    return { result: await current().modules() };
  },
  async threads({ all }) {
    return { result: await current().threads(all) };
  },
  async memoryMap() {
    // a fresh map each time: its buffers are transferred to the page
    const m = await current().memoryMap();
    return { result: m, transfer: memoryMapBuffers(m) };
  },
  async read({ address, length, space }) {
    const r = await current().read(address, length, space);
    return { result: r, transfer: [r.bytes.buffer as ArrayBuffer, r.present.buffer as ArrayBuffer] };
  },
  async composition() {
    return { result: await current().composition() };
  },
  async derive({ variety }) {
    const d = await current().derive(variety);
    return { result: d, transfer: [d.bytes.buffer as ArrayBuffer] };
  },
  async symbols({ files }) {
    return { result: await current().addSymbols(files) };
  },
};

function wire(e: unknown): WireError {
  if (e instanceof DumpError) return { code: e.code, message: e.message };
  const err = e instanceof Error ? e : new Error(String(e));
  return { code: 'BUG', message: `${err.message}\n${err.stack ?? ''}` };
}

// Requests run one after another: the core's readers are not made for interleaved use.
let queue: Promise<void> = Promise.resolve();
self.onmessage = (ev: MessageEvent<RequestMessage>) => {
  const { id, op, args } = ev.data;
  queue = queue.then(async () => {
    let msg: ResponseMessage;
    let transfer: Transferable[] = [];
    try {
      const r = await (handlers[op] as Handler<Op>)(args);
      msg = { id, ok: true, result: r.result };
      transfer = r.transfer ?? [];
    } catch (e) {
      msg = { id, ok: false, error: wire(e) };
    }
    self.postMessage(msg, transfer);
  });
};
