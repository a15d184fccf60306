// Opening a dump: drop it anywhere on the panel or pick it (read in the worker, never uploaded), or
// pick one from the server's dump folder (GET /api/files), opened through Range requests.
import { useEffect, useRef, useState } from 'preact/hooks';
import { sizeText } from './format.js';

interface ServerFile {
  name: string;
  size: number;
  mtime: string;
  kind: 'minidump' | 'kernel' | 'other';
}

export function OpenPanel(props: { compact: boolean; opening?: string; onFile: (f: File) => void; onServer: (path: string) => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const [files, setFiles] = useState<ServerFile[] | string>('loading');
  useEffect(() => {
    fetch('/api/files')
      .then(async (r) => {
        if (!r.ok) throw new Error(`the server answered ${r.status}`);
        setFiles(((await r.json()) as ServerFile[]).filter((f) => f.kind !== 'other'));
      })
      .catch((e: unknown) => setFiles(`no dump folder here (${(e as Error).message}); run \`dumpkit ui\` to serve one`));
  }, []);
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const f = e.dataTransfer?.files?.[0];
    if (f) props.onFile(f);
  };
  return (
    <section
      class={`open-panel${props.compact ? ' compact' : ''}${over ? ' over' : ''}`}
      aria-label="Open a dump"
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
      data-testid="drop-zone"
    >
      <div class="open-local">
        <p>
          {props.compact ? 'Drop another dump here, or ' : 'Drop a minidump (MDMP) or kernel dump (PAGEDUMP/PAGEDU64) here, or '}
          <button type="button" onClick={() => input.current?.click()}>
            choose a file…
          </button>
          <input
            ref={input}
            type="file"
            class="visually-hidden"
            aria-label="Dump file to open"
            onChange={(e) => {
              const f = (e.currentTarget as HTMLInputElement).files?.[0];
              if (f) props.onFile(f);
              (e.currentTarget as HTMLInputElement).value = '';
            }}
          />
        </p>
        {!props.compact && <p class="muted">The file is read in your browser, in a background worker, a piece at a time: nothing is uploaded.</p>}
        {props.opening && (
          <p role="status" class="opening">
            Opening {props.opening}…
          </p>
        )}
      </div>
      {!props.compact && (
        <div class="open-server">
          <h2>Dump folder</h2>
          {typeof files === 'string' ? (
            <p class="muted">{files === 'loading' ? 'Loading the dump folder…' : files}</p>
          ) : files.length === 0 ? (
            <p class="muted">The dump folder has no dumps yet.</p>
          ) : (
            <ul class="server-files">
              {files.map((f) => (
                <li>
                  <button type="button" onClick={() => props.onServer(f.name)}>
                    {f.name}
                  </button>{' '}
                  <span class="muted">
                    {f.kind}, {sizeText(f.size)}, {new Date(f.mtime).toLocaleString()}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}
