// `POST /symbols`: Breakpad .sym files as Breakpad's symupload sends them (sym-upload-v1:
// multipart/form-data, the file in `symbol_file`, with `debug_file`, `debug_identifier`, `code_file`,
// `os`, `cpu` fields), any other file part holding a .sym, or a zip of .sym files (as Mozilla's
// symbol upload takes them). Each file is filed by its own MODULE record.
import busboy from 'busboy';
import type { IncomingMessage, ServerResponse } from 'node:http';
import yauzl from 'yauzl';
import { DumpError } from '../../core/errors.js';
import type { Deployment } from './contract.js';
import { apiKeyOf, sendJson, sendText, type ServeLimits } from './http.js';
import { identityFromPath, storeSymbolFile, type SymbolIdentity } from './symbol-store.js';

interface StoredSymbol {
  debugFile: string;
  debugId: string;
  key: string;
  size: number;
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

/** Every .sym in a zip (its entries read one at a time, each capped at `maxBytes`). */
async function symFilesInZip(zip: Uint8Array, maxBytes: number, each: (bytes: Uint8Array, name: string) => Promise<void>): Promise<number> {
  const file = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(Buffer.from(zip.buffer, zip.byteOffset, zip.length), { lazyEntries: true, validateEntrySizes: true }, (err, z) => (err ? reject(err) : resolve(z))),
  );
  let count = 0;
  await new Promise<void>((resolve, reject) => {
    file.on('error', reject);
    file.on('end', () => resolve());
    file.on('entry', (entry: yauzl.Entry) => {
      if (entry.fileName.endsWith('/') || !entry.fileName.toLowerCase().endsWith('.sym')) return file.readEntry();
      if (entry.uncompressedSize > maxBytes) return reject(new DumpError('COUNT_TOO_LARGE', `${entry.fileName}: ${entry.uncompressedSize} bytes, more than the limit of ${maxBytes}`));
      file.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', reject);
        stream.on('end', () => {
          count++;
          each(new Uint8Array(Buffer.concat(chunks)), entry.fileName).then(() => file.readEntry(), reject);
        });
      });
    });
    file.readEntry();
  });
  return count;
}

export async function handleSymbolUpload(deployment: Deployment, limits: ServeLimits, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const key = apiKeyOf(req);
  if (limits.apiKeys && !Object.values(limits.apiKeys).some((keys) => key !== undefined && keys.includes(key))) {
    sendText(res, 401, 'an API key is required (X-API-Key header, Authorization: Bearer, or ?key=)\n', { connection: 'close' });
    req.resume();
    return;
  }
  const type = req.headers['content-type'] ?? '';
  const parts: { name: string; bytes: Uint8Array }[] = [];
  const fields: Record<string, string> = {};
  try {
    await new Promise<void>((resolve, reject) => {
      const bb = busboy({ headers: req.headers, limits: { fileSize: limits.maxSymbolBytes, files: 64, fields: 32, fieldSize: 4096 } });
      bb.on('file', (name, stream, info) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('limit', () => reject(new DumpError('COUNT_TOO_LARGE', `${info.filename ?? name} is larger than ${limits.maxSymbolBytes} bytes`)));
        stream.on('end', () => parts.push({ name: info.filename ?? name, bytes: new Uint8Array(Buffer.concat(chunks)) }));
      });
      bb.on('field', (name, value) => {
        fields[name] = value;
      });
      bb.on('error', reject);
      bb.on('close', () => resolve());
      req.pipe(bb);
    });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    sendText(res, /larger/.test(message) ? 413 : 400, `${/multipart/i.test(type) ? '' : 'the body must be multipart/form-data: '}${message}\n`, { connection: 'close' });
    req.unpipe();
    req.resume();
    return;
  }
  if (parts.length === 0) return sendText(res, 400, 'no file part (symupload sends symbol_file)\n');
  const stored: StoredSymbol[] = [];
  // symupload names the module in fields; a zip's entries by their path.
  const fromFields: SymbolIdentity | undefined = fields.debug_file && fields.debug_identifier ? { debugFile: fields.debug_file, debugId: fields.debug_identifier } : undefined;
  const store = async (bytes: Uint8Array, name: string, fallback = identityFromPath(name)) => {
    const s = await storeSymbolFile(deployment.objects, deployment.db, bytes, name, fallback);
    stored.push({ debugFile: s.module.debugFile, debugId: s.module.debugId, key: s.key, size: s.size });
  };
  try {
    for (const p of parts) {
      if (ZIP_MAGIC.every((b, i) => p.bytes[i] === b)) {
        const n = await symFilesInZip(p.bytes, limits.maxSymbolBytes, store).catch((e: unknown) => {
          if (e instanceof DumpError) throw e;
          throw new DumpError('BAD_RECORD', `${p.name}: not a readable zip: ${e instanceof Error ? e.message : String(e)}`);
        });
        if (n === 0) throw new DumpError('BAD_RECORD', `${p.name}: the zip holds no .sym file`);
      } else await store(p.bytes, p.name, fromFields ?? identityFromPath(p.name));
    }
  } catch (e) {
    if (!(e instanceof DumpError)) throw e;
    const status = e.code === 'NO_SPACE' ? 507 : e.code === 'BUSY' ? 503 : e.code === 'IO' ? 500 : 400;
    return sendText(res, status, `${e.message}\n`);
  }
  sendJson(res, 200, { stored });
}
