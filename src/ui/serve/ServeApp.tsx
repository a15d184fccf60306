// The serve pages: Signatures (counts, per day and per version charts), Signature (its crashes),
// Crash (detail: reason, crashing thread's frames, annotations, modules), Search.
import { useEffect, useState } from 'preact/hooks';
import { routeHref, useRoute } from '../app/route.js';
import { BarChart } from './BarChart.js';

interface SignatureCount {
  signature: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  perDay: Record<string, number>;
  perVersion: Record<string, number>;
}

interface CrashSummary {
  id: string;
  state: string;
  product: string;
  version: string;
  receivedAt: string;
  signature: string | null;
  crashReason: string | null;
  error: string | null;
}

interface Frame {
  frame: number;
  function: string | null;
  function_offset: string | null;
  module: string | null;
  module_offset: string | null;
  offset: string;
  file: string | null;
  line: number | null;
  trust: string;
}

interface CrashDetail extends CrashSummary {
  annotations: Record<string, string>;
  attachments: { field: string; filename: string; size: number }[];
  processed: {
    signature: string;
    crashReason: string | null;
    crashAddress: string | null;
    crashingThread: number | null;
    frames: Frame[];
    missingSymbols: string[];
    json?: { modules?: { filename: string; base_addr: string; debug_id: string; loaded_symbols: boolean; version: string | null }[]; system_info?: { os: string; os_ver: string; cpu_arch: string } | null };
  } | null;
}

/** GETs `path` from the API: [value, error] (both undefined while loading). */
function useApi<T>(path: string): [T | undefined, string | undefined] {
  const [state, setState] = useState<[T | undefined, string | undefined]>([undefined, undefined]);
  useEffect(() => {
    let live = true;
    setState([undefined, undefined]);
    fetch(path)
      .then(async (r) => {
        const body = (await r.json()) as T & { error?: string };
        if (!live) return;
        setState(r.ok ? [body, undefined] : [undefined, body.error ?? `HTTP ${r.status}`]);
      })
      .catch((e: unknown) => live && setState([undefined, String(e)]));
    return () => {
      live = false;
    };
  }, [path]);
  return state;
}

function Loading({ error }: { error: string | undefined }) {
  return error ? <p class="serve-error" role="alert">{error}</p> : <p>Loading…</p>;
}

function query(params: Record<string, string | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}

function SignaturesPage({ product }: { product: string | undefined }) {
  const [data, error] = useApi<{ signatures: SignatureCount[] }>(`api/signatures${query({ product, limit: '200' })}`);
  if (!data) return <Loading error={error} />;
  const perDay: Record<string, number> = {};
  const perVersion: Record<string, number> = {};
  for (const s of data.signatures) {
    for (const [d, n] of Object.entries(s.perDay)) perDay[d] = (perDay[d] ?? 0) + n;
    for (const [v, n] of Object.entries(s.perVersion)) perVersion[v] = (perVersion[v] ?? 0) + n;
  }
  return (
    <>
      <h1>Signatures{product ? ` of ${product}` : ''}</h1>
      <form class="serve-form" onSubmit={(e) => { e.preventDefault(); const v = (e.currentTarget.elements.namedItem('product') as HTMLInputElement).value; location.hash = routeHref('signatures', v ? { product: v } : {}); }}>
        <label>Product<input name="product" value={product ?? ''} /></label>
        <button type="submit">Show</button>
      </form>
      {data.signatures.length === 0 ? (
        <p>No processed crashes yet.</p>
      ) : (
        <>
          <div class="serve-charts">
            <BarChart title="Crashes per day" data={perDay} sort="key" />
            <BarChart title="Crashes per version" data={perVersion} sort="key" />
          </div>
          <table class="serve-table" aria-label="Signatures">
            <thead>
              <tr><th>Signature</th><th class="num">Crashes</th><th>Versions</th><th>Last seen</th></tr>
            </thead>
            <tbody>
              {data.signatures.map((s) => (
                <tr key={s.signature}>
                  <td><a class="mono" href={routeHref('signature', { signature: s.signature, product })}>{s.signature}</a></td>
                  <td class="num">{s.count}</td>
                  <td>{Object.entries(s.perVersion).map(([v, n]) => `${v} (${n})`).join(', ')}</td>
                  <td>{s.lastSeen.replace('T', ' ').slice(0, 19)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}

function CrashTable({ crashes }: { crashes: CrashSummary[] }) {
  if (crashes.length === 0) return <p>No crashes.</p>;
  return (
    <table class="serve-table" aria-label="Crashes">
      <thead>
        <tr><th>Crash</th><th>Received</th><th>Product</th><th>Version</th><th>State</th><th>Reason</th><th>Signature</th></tr>
      </thead>
      <tbody>
        {crashes.map((c) => (
          <tr key={c.id}>
            <td><a class="mono" href={routeHref('crash', { id: c.id })}>{c.id}</a></td>
            <td>{c.receivedAt.replace('T', ' ').slice(0, 19)}</td>
            <td>{c.product}</td>
            <td>{c.version}</td>
            <td>{c.state}</td>
            <td>{c.crashReason ?? c.error ?? ''}</td>
            <td class="mono">{c.signature ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function SignaturePage({ signature, product }: { signature: string; product: string | undefined }) {
  const [sig] = useApi<{ signatures: SignatureCount[] }>(`api/signatures${query({ product, limit: '10000' })}`);
  const [data, error] = useApi<{ crashes: CrashSummary[] }>(`api/crashes${query({ signature, product, limit: '200' })}`);
  const counts = sig?.signatures.find((s) => s.signature === signature);
  return (
    <>
      <h1>Signature</h1>
      <p class="mono">{signature}</p>
      {counts && (
        <div class="serve-charts">
          <BarChart title="Crashes per day" data={counts.perDay} sort="key" />
          <BarChart title="Crashes per version" data={counts.perVersion} sort="key" />
        </div>
      )}
      {data ? <CrashTable crashes={data.crashes} /> : <Loading error={error} />}
    </>
  );
}

function CrashPage({ id }: { id: string }) {
  const [c, error] = useApi<CrashDetail>(`api/crashes/${encodeURIComponent(id)}?full=1`);
  if (!c) return <Loading error={error} />;
  const p = c.processed;
  return (
    <>
      <h1>Crash <span class="mono">{c.id}</span></h1>
      <dl class="serve-dl">
        <dt>State</dt><dd>{c.state}{c.error ? ` (${c.error})` : ''}</dd>
        <dt>Product</dt><dd>{c.product} {c.version}</dd>
        <dt>Received</dt><dd>{c.receivedAt}</dd>
        {p && (
          <>
            <dt>Signature</dt><dd><a class="mono" href={routeHref('signature', { signature: p.signature })}>{p.signature}</a></dd>
            <dt>Crash reason</dt><dd>{p.crashReason ?? '—'}</dd>
            <dt>Crash address</dt><dd class="mono">{p.crashAddress ?? '—'}</dd>
            {p.json?.system_info && <><dt>System</dt><dd>{p.json.system_info.os} {p.json.system_info.os_ver} ({p.json.system_info.cpu_arch})</dd></>}
            {p.missingSymbols.length > 0 && <><dt>Missing symbols</dt><dd class="mono">{p.missingSymbols.join(', ')}</dd></>}
          </>
        )}
      </dl>
      {p && (
        <>
          <h2>Crashing thread{p.crashingThread !== null ? ` (thread ${p.crashingThread})` : ''}</h2>
          <table class="serve-table" aria-label="Frames">
            <thead>
              <tr><th class="num">#</th><th>Module</th><th>Function</th><th>Source</th><th>Address</th><th>Trust</th></tr>
            </thead>
            <tbody>
              {p.frames.map((f) => (
                <tr key={f.frame}>
                  <td class="num">{f.frame}</td>
                  <td>{f.module ?? ''}</td>
                  <td class="mono">{f.function ? `${f.function}${f.function_offset ? ` + ${f.function_offset.replace(/^0x0*/, '0x')}` : ''}` : f.module_offset ? `${f.module} + ${f.module_offset.replace(/^0x0*/, '0x')}` : ''}</td>
                  <td class="mono">{f.file ? `${f.file}:${f.line ?? ''}` : ''}</td>
                  <td class="mono">{f.offset}</td>
                  <td>{f.trust}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <h2>Annotations</h2>
      <dl class="serve-dl">
        {Object.entries(c.annotations).map(([k, v]) => <><dt>{k}</dt><dd class="mono">{v}</dd></>)}
      </dl>
      {c.attachments.length > 0 && (
        <>
          <h2>Attachments</h2>
          <ul>{c.attachments.map((a) => <li>{a.field}: {a.filename} ({a.size} bytes)</li>)}</ul>
        </>
      )}
      {p?.json?.modules && (
        <>
          <h2>Modules</h2>
          <table class="serve-table" aria-label="Modules">
            <thead><tr><th>Module</th><th>Base</th><th>Version</th><th>Debug id</th><th>Symbols</th></tr></thead>
            <tbody>
              {p.json.modules.map((m) => (
                <tr><td>{m.filename}</td><td class="mono">{m.base_addr}</td><td>{m.version ?? ''}</td><td class="mono">{m.debug_id}</td><td>{m.loaded_symbols ? 'loaded' : ''}</td></tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}

const SEARCH_FIELDS = ['product', 'version', 'signature', 'module', 'from', 'to'] as const;

function SearchPage({ params }: { params: URLSearchParams }) {
  const values = Object.fromEntries(SEARCH_FIELDS.map((k) => [k, params.get(k) ?? undefined])) as Record<(typeof SEARCH_FIELDS)[number], string | undefined>;
  const asked = SEARCH_FIELDS.some((k) => values[k]);
  const [data, error] = useApi<{ crashes: CrashSummary[] }>(`api/crashes${query({ ...values, limit: '200' })}`);
  return (
    <>
      <h1>Search</h1>
      <form
        class="serve-form"
        onSubmit={(e) => {
          e.preventDefault();
          const form = e.currentTarget;
          const next: Record<string, string | undefined> = {};
          for (const k of SEARCH_FIELDS) next[k] = (form.elements.namedItem(k) as HTMLInputElement).value || undefined;
          location.hash = routeHref('search', next);
        }}
      >
        {SEARCH_FIELDS.map((k) => (
          <label key={k}>
            {k[0]!.toUpperCase() + k.slice(1)}
            <input name={k} type={k === 'from' || k === 'to' ? 'date' : 'text'} value={values[k] ?? ''} />
          </label>
        ))}
        <button type="submit">Search</button>
      </form>
      {data ? <><p>{data.crashes.length}{data.crashes.length === 200 ? '+' : ''} crash{data.crashes.length === 1 ? '' : 'es'}{asked ? '' : ' (latest)'}</p><CrashTable crashes={data.crashes} /></> : <Loading error={error} />}
    </>
  );
}

const PAGES = [
  { id: 'signatures', title: 'Signatures' },
  { id: 'search', title: 'Search' },
] as const;

export function ServeApp() {
  const route = useRoute();
  const page = route.page;
  const p = route.params;
  let body;
  if (page === 'signature' && p.get('signature') !== null) body = <SignaturePage signature={p.get('signature')!} product={p.get('product') ?? undefined} />;
  else if (page === 'crash' && p.get('id')) body = <CrashPage id={p.get('id')!} />;
  else if (page === 'search') body = <SearchPage params={p} />;
  else body = <SignaturesPage product={p.get('product') ?? undefined} />;
  const current = page === 'search' ? 'search' : 'signatures';
  return (
    <>
      <header class="app-header">
        <span class="app-name">dumpkit serve</span>
        <nav aria-label="Pages">
          {PAGES.map((x) => (
            <a href={routeHref(x.id)} aria-current={current === x.id ? 'page' : undefined}>{x.title}</a>
          ))}
        </nav>
      </header>
      <main class="app-main">{body}</main>
    </>
  );
}
