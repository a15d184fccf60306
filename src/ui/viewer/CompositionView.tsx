// Kernel dumps: the page-class composition of each variety the dump could be shrunk to (`dumpkit
// plan`'s figures) as stacked bars, and a button per smaller variety that derives it in the browser
// (the core's variety writer into memory) and offers it as a download (a Blob URL).
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { DumpClient } from '../worker/client.js';
import { ViewerError } from '../worker/client.js';
import type { Composition } from '../worker/protocol.js';
import { kindColor } from './colors.js';
import { ErrorBox } from './ErrorBox.js';
import { sizeText } from './format.js';
import { useRequest } from './use-request.js';

type Derived = { state: 'working' } | { state: 'done'; url: string; name: string; bytes: number; pages: number } | { state: 'failed'; error: ViewerError };

export function CompositionView(props: { client: DumpClient; name: string }) {
  const r = useRequest(() => props.client.request('composition', {}), []);
  if (r.state === 'loading') return <p role="status">Classifying pages and planning the varieties…</p>;
  if (r.state === 'failed') return <ErrorBox error={r.error} what="Composition" />;
  return <Chart c={r.value} client={props.client} />;
}

function Chart(props: { c: Composition; client: DumpClient }) {
  const { c } = props;
  const [derived, setDerived] = useState<Record<string, Derived>>({});
  useEffect(
    () => () => {
      for (const d of Object.values(derived)) if (d.state === 'done') URL.revokeObjectURL(d.url);
    },
    [],
  );
  const classes = useMemo(() => Object.keys(c.groups).filter((k) => c.varieties.some((v) => v.pages[k])), [c]);
  const colors = useMemo(() => {
    const seen: Record<string, number> = {};
    const out: Record<string, string> = {};
    for (const k of Object.keys(c.groups)) {
      const g = c.groups[k]!;
      out[k] = kindColor(k, g, (seen[g] = (seen[g] ?? -1) + 1));
    }
    return out;
  }, [c]);
  const maxPages = Math.max(1, ...c.varieties.map((v) => Object.values(v.pages).reduce((a, b) => a + b, 0)));

  const derive = async (name: string) => {
    setDerived((d) => ({ ...d, [name]: { state: 'working' } }));
    try {
      const out = await props.client.request('derive', { variety: name });
      const url = URL.createObjectURL(new Blob([out.bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
      setDerived((d) => ({ ...d, [name]: { state: 'done', url, name: out.name, bytes: out.bytes.length, pages: out.pages } }));
      const a = document.createElement('a');
      a.href = url;
      a.download = out.name;
      a.click();
    } catch (e) {
      setDerived((d) => ({ ...d, [name]: { state: 'failed', error: e instanceof ViewerError ? e : new ViewerError({ code: 'BUG', message: String(e) }) } }));
    }
  };

  return (
    <div class="composition">
      <p>
        This dump is a <strong>{c.variety}</strong> dump of a machine with {sizeText(c.ramBytes)} of RAM; page classes {c.classification}. Each bar is a variety
        Windows could write (or this dump could be shrunk to): its pages by class, its size and the page file it needs.
      </p>
      <div class="bars" role="list" aria-label="Varieties">
        {c.varieties.map((v) => {
          const total = Object.values(v.pages).reduce((a, b) => a + b, 0);
          const d = derived[v.name];
          return (
            <div class="bar-row" role="listitem" data-variety={v.name}>
              <div class="bar-label">
                <strong>{v.name}</strong>
                {v.name === c.variety ? ' (this dump)' : ''}
                <br />
                <span class="muted small">
                  DumpType {v.dumpType}, {sizeText(v.bytes)}, page file {sizeText(v.pageFileBytes)}
                </span>
              </div>
              <div class="bar" aria-label={`${v.name}: ${total} pages; ${Object.entries(v.pages).map(([k, n]) => `${k} ${n}`).join(', ')}`} role="img">
                {classes.map((k) =>
                  v.pages[k] ? <span class="seg" style={{ width: `${(v.pages[k]! / maxPages) * 100}%`, background: colors[k] }} title={`${k}: ${v.pages[k]} pages (${sizeText(v.pages[k]! * 4096)})`} /> : null,
                )}
              </div>
              <div class="bar-action">
                {v.derivable && (
                  <button type="button" onClick={() => void derive(v.name)} disabled={d?.state === 'working'} data-testid={`derive-${v.name}`}>
                    {d?.state === 'working' ? 'Deriving…' : `Derive ${v.name}`}
                  </button>
                )}
                {d?.state === 'done' && (
                  <a href={d.url} download={d.name} class="small">
                    {d.name} ({sizeText(d.bytes)}, {d.pages} pages)
                  </a>
                )}
                {d?.state === 'failed' && <ErrorBox error={d.error} what={`Deriving ${v.name}`} />}
              </div>
              {v.note && <p class="muted small bar-note">{v.note}</p>}
            </div>
          );
        })}
      </div>
      <ul class="legend" aria-label="Page classes">
        {classes.map((k) => (
          <li>
            <span class="swatch" style={{ background: colors[k] }} /> {k} <span class="muted">({c.groups[k]})</span>
          </li>
        ))}
      </ul>
      <details>
        <summary>The figures as a table</summary>
        <div class="table-scroll">
          <table class="grid small">
            <thead>
              <tr>
                <th scope="col">Page class</th>
                {c.varieties.map((v) => (
                  <th scope="col">{v.name}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {classes.map((k) => (
                <tr>
                  <th scope="row">{k}</th>
                  {c.varieties.map((v) => (
                    <td>{v.pages[k] ?? 0}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
      {c.diagnostics.length > 0 && (
        <ul class="diagnostics">
          {c.diagnostics.map((d) => (
            <li>{d}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
