import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DumpError } from '../../core/errors.js';
import { defaultDumpFolder, prepareDumpFolder } from './dump-folder.js';
import { listDumpFiles, resolveDumpFile, serveDumpFile } from './dump-files.js';
import { processName } from '../capture/processes.js';
import { captureRequest, liveType, runCapture, runLive } from './dumps.js';
import { readJsonBody, sendError, sendJson, statusOf } from './http-util.js';
import { JobRunner } from './jobs.js';
import { dumpFailure } from './messages.js';
import { ProcessSampler } from './processes.js';
import { refusal, tokenCookie, newToken } from './security.js';
import { DEFAULT_LIVE, loadSettings, saveSettings, settingsPath, validateMachine, validateSettings, type UiSettings } from './settings.js';
import { findAppDir, serveAppFile } from './static-files.js';

export interface UiServerOptions {
  /** 0: any free port. */
  port?: number;
  /** --dump-dir: overrides the settings' folder and the default. */
  dumpDir?: string;
  token?: string;
  appDir?: string;
  settingsFile?: string;
}

export interface UiServer {
  server: Server;
  port: number;
  token: string;
  /** `http://127.0.0.1:PORT/?token=…`: what the user opens. */
  url: string;
  dumpFolder(): string;
  settingsFile: string;
  close(): Promise<void>;
}

/**
 * `dumpkit ui`'s HTTP server, on 127.0.0.1 only: the built app, the dump folder's files (with
 * Range), the process list, and dumps made with the existing engine (captureProcess, writeLiveDump),
 * one at a time. Every request passes `refusal` (loopback, Host, Origin, token) first.
 */
export async function startUiServer(o: UiServerOptions = {}): Promise<UiServer> {
  const token = o.token ?? newToken();
  const appDir = o.appDir ?? findAppDir();
  const settingsFile = o.settingsFile ?? settingsPath();
  let settings = loadSettings(settingsFile);
  const folderOf = (s: UiSettings): { path: string; source: string } =>
    o.dumpDir !== undefined
      ? { path: prepareDumpFolder(o.dumpDir, false), source: '--dump-dir' }
      : s.dumpFolder
        ? { path: prepareDumpFolder(s.dumpFolder, false), source: 'settings' }
        : { path: prepareDumpFolder(defaultDumpFolder(), true), source: 'default (per-user temporary folder)' };
  let folder = folderOf(settings);
  const sampler = new ProcessSampler();
  const jobs = new JobRunner();
  let port = 0;

  const settingsView = () => ({ settings, dumpFolder: folder.path, dumpFolderSource: folder.source, settingsFile, defaults: { live: DEFAULT_LIVE } });
  const changeSettings = (next: UiSettings): void => {
    const f = folderOf(next); // refuses a folder it cannot create before anything is saved
    saveSettings(next, settingsFile);
    settings = next;
    folder = f;
  };

  const api = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    if (method === 'GET' && path === '/api/files') return sendJson(res, 200, listDumpFiles(folder.path));
    if (method === 'GET' && path === '/api/processes') {
      return sendJson(res, 200, {
        processes: sampler.sample(),
        server: { pid: process.pid },
        system: { model: settings.machine, note: 'the System row stands for a modeled Windows machine, not this computer' },
      });
    }
    if (method === 'POST' && path === '/api/captures') {
      const { pid, variety } = captureRequest(await readJsonBody(req));
      const name = processName(pid);
      const root = folder.path;
      return sendJson(res, 202, jobs.start('capture', `${name} (PID ${pid})`, (ctx) => runCapture(ctx, root, pid, variety)));
    }
    if (method === 'POST' && path === '/api/live') {
      const body = (await readJsonBody(req)) as { type?: unknown; machine?: unknown } | null;
      const type = liveType(body);
      const machine = body?.machine !== undefined ? validateMachine(body.machine) : settings.machine;
      if (body?.machine !== undefined) changeSettings({ ...settings, machine });
      const root = folder.path;
      const live = { ...settings.live };
      return sendJson(res, 202, jobs.start('live', `modeled ${machine.profile} machine, ${machine.ramMiB} MiB${machine.vms ? `, ${machine.vms} VMs` : ''}`, (ctx) => runLive(ctx, root, type, machine, live)));
    }
    const job = /^\/api\/jobs\/([\w-]{1,40})$/.exec(path);
    if (method === 'GET' && job) {
      const state = jobs.get(job[1]!);
      return state ? sendJson(res, 200, state) : sendError(res, 404, 'INVALID_ARGUMENT', 'no such job');
    }
    if (method === 'GET' && path === '/api/settings') return sendJson(res, 200, settingsView());
    if (method === 'PUT' && path === '/api/settings') {
      changeSettings(validateSettings(await readJsonBody(req)));
      return sendJson(res, 200, settingsView());
    }
    if (method === 'POST' && path === '/api/settings/restore-defaults') {
      changeSettings({ ...settings, live: { ...DEFAULT_LIVE } });
      return sendJson(res, 200, settingsView());
    }
    return sendError(res, 404, 'INVALID_ARGUMENT', `no API ${method} ${path}`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://127.0.0.1');
    } catch (e) {
      if (e instanceof TypeError) return sendError(res, 400, 'INVALID_ARGUMENT', 'malformed request target');
      throw e;
    }
    const refused = refusal(req, url, port, token);
    if (refused) return sendError(res, refused.status, 'FORBIDDEN', refused.reason);
    const method = req.method ?? 'GET';
    // First visit: the token from the address becomes a cookie, and the address loses it.
    if (url.searchParams.has('token') && method === 'GET' && !url.pathname.startsWith('/api/') && !url.pathname.startsWith('/files/')) {
      url.searchParams.delete('token');
      res.writeHead(302, { 'Set-Cookie': tokenCookie(port, token), Location: url.pathname + url.search, 'Cache-Control': 'no-store' });
      res.end();
      return;
    }
    try {
      if (url.pathname.startsWith('/api/')) return await api(req, res, url);
      if (method !== 'GET' && method !== 'HEAD') return sendError(res, 405, 'INVALID_ARGUMENT', `${method} is not allowed here`);
      // The raw path, still percent-encoded, so that an encoded escape is seen as what it is.
      const raw = (req.url ?? '').split('?')[0]!;
      if (raw.startsWith('/files/')) {
        const r = resolveDumpFile(folder.path, raw.slice('/files/'.length));
        if ('reason' in r) return sendError(res, r.status, r.status === 404 ? 'IO' : 'FORBIDDEN', r.reason);
        return serveDumpFile(req, res, r.path);
      }
      return serveAppFile(res, appDir, raw, method === 'HEAD');
    } catch (e) {
      if (!(e instanceof DumpError)) throw e;
      if (url.pathname.startsWith('/api/captures') || url.pathname.startsWith('/api/live')) return sendJson(res, statusOf(e.code), { error: { ...dumpFailure(e), message: e.message } });
      return sendError(res, statusOf(e.code), e.code, e.message);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      // A bug: answer 500 and say so on the server's output (never swallowed).
      process.stderr.write(`dumpkit ui: internal error on ${req.method} ${req.url}: ${(e as Error)?.stack ?? String(e)}\n`);
      if (!res.headersSent) sendError(res, 500, 'INTERNAL', String((e as Error)?.message ?? e));
      else res.destroy();
    });
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new DumpError('IO', `cannot listen on 127.0.0.1:${o.port ?? 0}: ${e.code ?? e.message}`)));
    // Loopback only, never another interface.
    server.listen({ host: '127.0.0.1', port: o.port ?? 0, exclusive: true }, resolve);
  });
  port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    token,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    dumpFolder: () => folder.path,
    settingsFile,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
