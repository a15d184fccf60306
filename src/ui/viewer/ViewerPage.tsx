// The dump viewer: open a dump (drop, file picker, or the server's dump folder), then look at it in
// views. Everything runs in a Web Worker (src/ui/worker) reading the File or the server's file lazily;
// nothing is uploaded. The address names the dump, the view and the address:
//   #/viewer?dump=server:<rel path>&view=<view>&address=0x…   (local files cannot be named in a URL)
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { navigate } from '../app/route.js';
import { DumpClient, ViewerError } from '../worker/client.js';
import type { DumpLocation, DumpSummary } from '../worker/protocol.js';
import { CompositionView } from './CompositionView.js';
import { HexView } from './HexView.js';
import { MemoryMapView } from './MemoryMapView.js';
import { ModulesView } from './ModulesView.js';
import { OpenPanel } from './OpenPanel.js';
import { SummaryView } from './SummaryView.js';
import { ThreadsView } from './ThreadsView.js';
import { ErrorBox } from './ErrorBox.js';
import './viewer.css';

export const VIEWS = [
  { id: 'summary', title: 'Summary' },
  { id: 'threads', title: 'Threads' },
  { id: 'modules', title: 'Modules' },
  { id: 'memory', title: 'Memory map' },
  { id: 'hex', title: 'Hex' },
  { id: 'composition', title: 'Composition', kernelOnly: true },
] as const;
export type ViewId = (typeof VIEWS)[number]['id'];

/** What the URL says (and what changing the view or address writes back). */
export interface ViewerParams {
  dump?: string;
  view: ViewId;
  address?: string;
  space?: string;
}

export function readParams(p: URLSearchParams): ViewerParams {
  const view = (VIEWS.find((v) => v.id === p.get('view'))?.id ?? 'summary') as ViewId;
  return { dump: p.get('dump') ?? undefined, view, address: p.get('address') ?? undefined, space: p.get('space') ?? undefined };
}

export function go(params: ViewerParams): void {
  navigate('viewer', { dump: params.dump, view: params.view, address: params.address, space: params.space });
}

type Open = { state: 'none' } | { state: 'opening'; label: string } | { state: 'open'; key: string; summary: DumpSummary; openedMs: number } | { state: 'failed'; key: string; error: ViewerError };

let sharedClient: DumpClient | undefined;
function client(): DumpClient {
  sharedClient ??= new DumpClient();
  return sharedClient;
}

export function ViewerPage(props: { params: URLSearchParams }) {
  const params = readParams(props.params);
  const [open, setOpen] = useState<Open>({ state: 'none' });
  const openSeq = useRef(0);
  // start the worker (load and compile the core) while the user picks a file
  useEffect(() => void client(), []);

  const openLocation = async (key: string, location: DumpLocation, label: string, then: ViewerParams) => {
    const seq = ++openSeq.current;
    setOpen({ state: 'opening', label });
    const t0 = performance.now();
    try {
      const summary = await client().request('open', { location });
      if (seq !== openSeq.current) return;
      setOpen({ state: 'open', key, summary, openedMs: performance.now() - t0 });
      go(then);
    } catch (e) {
      if (seq !== openSeq.current) return;
      setOpen({ state: 'failed', key, error: e instanceof ViewerError ? e : new ViewerError({ code: 'BUG', message: String(e) }) });
      if (key !== params.dump) go({ dump: key, view: 'summary' });
    }
  };

  // A server: link opens that file (once per link); a local: link cannot be reopened.
  const dumpParam = params.dump;
  useEffect(() => {
    if (!dumpParam?.startsWith('server:')) return;
    if ((open.state === 'open' || open.state === 'failed') && open.key === dumpParam) return;
    if (open.state === 'opening') return;
    const path = dumpParam.slice('server:'.length);
    void openLocation(dumpParam, { kind: 'server', path }, path, params);
  }, [dumpParam]);

  const openFile = (file: File) => {
    const key = `local:${file.name}`;
    void openLocation(key, { kind: 'file', file }, file.name, { dump: key, view: 'summary' });
  };

  const current = open.state === 'open' && open.key === params.dump ? open : undefined;
  const staleLocal = !current && params.dump?.startsWith('local:') && open.state !== 'opening' && !(open.state === 'failed' && open.key === params.dump);

  return (
    <div class="viewer">
      <OpenPanel
        compact={!!current}
        onFile={openFile}
        onServer={(path) => go({ dump: `server:${path}`, view: 'summary' })}
        opening={open.state === 'opening' ? open.label : undefined}
      />
      {staleLocal && (
        <p class="notice" role="status">
          This link names a local file ({params.dump!.slice('local:'.length)}). A browser cannot reopen a local file from a link: drop it here again or pick it. Only dumps from
          the server's dump folder (<code>dump=server:…</code>) can be linked.
        </p>
      )}
      {open.state === 'failed' && open.key === params.dump && <ErrorBox error={open.error} what="This dump could not be opened" />}
      {current && <OpenDump summary={current.summary} params={params} openedMs={current.openedMs} />}
    </div>
  );
}

function OpenDump(props: { summary: DumpSummary; params: ViewerParams; openedMs: number }) {
  const { summary, params } = props;
  const views = useMemo(() => VIEWS.filter((v) => !('kernelOnly' in v) || summary.canPlan), [summary]);
  const view = views.some((v) => v.id === params.view) ? params.view : 'summary';
  const tabRefs = useRef<Record<string, HTMLButtonElement | null>>({});
  const select = (id: ViewId, focus = false) => {
    go({ ...params, view: id });
    if (focus) tabRefs.current[id]?.focus();
  };
  const onTabKey = (e: KeyboardEvent) => {
    const i = views.findIndex((v) => v.id === view);
    const next = e.key === 'ArrowRight' ? (i + 1) % views.length : e.key === 'ArrowLeft' ? (i - 1 + views.length) % views.length : e.key === 'Home' ? 0 : e.key === 'End' ? views.length - 1 : -1;
    if (next < 0) return;
    e.preventDefault();
    select(views[next]!.id, true);
  };
  const showHex = (address: bigint, space?: string) => go({ ...params, view: 'hex', address: `0x${address.toString(16)}`, space });
  return (
    <section class="dump" aria-label={`Dump ${summary.name}`}>
      <h1 class="dump-title">
        {summary.name} <span class="dump-kind">{summary.title}</span>
      </h1>
      <div role="tablist" aria-label="Views" class="tabs" onKeyDown={onTabKey}>
        {views.map((v) => (
          <button
            role="tab"
            id={`tab-${v.id}`}
            aria-selected={v.id === view}
            aria-controls={`panel-${v.id}`}
            tabIndex={v.id === view ? 0 : -1}
            ref={(el) => {
              tabRefs.current[v.id] = el;
            }}
            onClick={() => select(v.id)}
          >
            {v.title}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${view}`} aria-labelledby={`tab-${view}`} class="panel">
        {view === 'summary' && <SummaryView summary={summary} openedMs={props.openedMs} />}
        {view === 'threads' && <ThreadsView client={client()} kind={summary.kind} onAddress={showHex} />}
        {view === 'modules' && <ModulesView client={client()} onAddress={showHex} />}
        {view === 'memory' && <MemoryMapView client={client()} onAddress={showHex} />}
        {view === 'hex' && (
          <HexView
            client={client()}
            kind={summary.kind}
            address={params.address}
            fallback={summary.interestingAddress}
            space={summary.kind === 'kernel' && params.space === 'physical' ? 'physical' : 'virtual'}
            onNavigate={(address, space) => go({ ...params, view: 'hex', address: `0x${address.toString(16)}`, space })}
          />
        )}
        {view === 'composition' && <CompositionView client={client()} name={summary.name} />}
      </div>
    </section>
  );
}

