// Threads and their stacks, walked by the core's processor (CFI, frame pointers, scanning; symbols
// from Breakpad .sym files given here for minidumps, from the images' exports and .pdata for x64
// kernel dumps). A list of threads beside the selected thread's frames.
import { useRef, useState } from 'preact/hooks';
import type { DumpClient } from '../worker/client.js';
import type { DumpKind, ThreadRow } from '../worker/protocol.js';
import { ErrorBox } from './ErrorBox.js';
import { addr } from './format.js';
import { useRequest } from './use-request.js';

const TRUST: Record<string, string> = {
  context: 'context',
  cfi: 'call frame info',
  frame_pointer: 'frame pointer',
  cfi_scan: 'CFI scan',
  scan: 'stack scan',
  prewalked: 'prewalked',
  inline: 'inline',
  none: '',
};

export function ThreadsView(props: { client: DumpClient; kind: DumpKind; onAddress: (a: bigint) => void }) {
  const [generation, setGeneration] = useState(0);
  const [all, setAll] = useState(props.kind === 'minidump');
  const r = useRequest(() => props.client.request('threads', { all }), [generation, all]);
  const [selected, setSelected] = useState<number | undefined>(undefined);
  const [symbolNote, setSymbolNote] = useState<string | undefined>(undefined);
  const symInput = useRef<HTMLInputElement>(null);
  const addSymbols = async (files: File[]) => {
    const s = await props.client.request('symbols', { files });
    setSymbolNote(`${s.added.length} symbol file${s.added.length === 1 ? '' : 's'} added${s.diagnostics.length ? `; ${s.diagnostics.join('; ')}` : ''}`);
    setGeneration((g) => g + 1);
  };
  const symbols =
    props.kind === 'minidump' ? (
      <p class="symbols-bar">
        <button type="button" onClick={() => symInput.current?.click()}>
          Add Breakpad symbol files (.sym)…
        </button>
        <input
          ref={symInput}
          type="file"
          multiple
          accept=".sym"
          class="visually-hidden"
          aria-label="Breakpad symbol files"
          onChange={(e) => {
            const files = [...((e.currentTarget as HTMLInputElement).files ?? [])];
            if (files.length) void addSymbols(files);
          }}
        />{' '}
        <span class="muted" role="status">
          {symbolNote ?? 'Without symbols, frames are named by module and offset.'}
        </span>
      </p>
    ) : (
      <p class="symbols-bar">
        {!all && (
          <button type="button" onClick={() => setAll(true)}>
            Walk every thread
          </button>
        )}{' '}
        <span class="muted">
          {all ? 'Every thread walked. ' : 'The crashing thread is walked; the others when asked (a machine has thousands). '}Kernel stacks are named from the exports and
          .pdata of the images in the dump.
        </span>
      </p>
    );
  if (r.state === 'loading')
    return (
      <>
        {symbols}
        <p role="status">Walking the stacks…</p>
      </>
    );
  if (r.state === 'failed')
    return (
      <>
        {symbols}
        <ErrorBox error={r.error} what="Threads" />
      </>
    );
  const threads = r.value.threads;
  const sel = selected ?? Math.max(0, threads.findIndex((t) => t.crashed));
  const t = threads[sel];
  return (
    <div>
      {symbols}
      <div class="threads">
        <ul class="thread-list" role="listbox" aria-label={`Threads (${threads.length})`} aria-activedescendant={`thread-${sel}`} tabIndex={0} onKeyDown={(e) => {
          if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
            e.preventDefault();
            setSelected(Math.min(threads.length - 1, Math.max(0, sel + (e.key === 'ArrowDown' ? 1 : -1))));
          }
        }}>
          {threads.map((th, i) => (
            <li id={`thread-${i}`} role="option" aria-selected={i === sel} class={i === sel ? 'selected' : ''} onClick={() => setSelected(i)}>
              <span class="mono">{th.id}</span> {th.crashed && <span class="badge">crashed</span>} <span class="muted">{th.name ?? ''}</span>
              <span class="muted small"> {th.frames.length === 0 && th.end === 'not walked' ? 'not walked yet' : `${th.frames.length} frames`}</span>
            </li>
          ))}
        </ul>
        {t ? <Stack thread={t} onAddress={props.onAddress} /> : <p>No threads in this dump.</p>}
      </div>
      {r.value.diagnostics.length > 0 && (
        <details>
          <summary>{r.value.diagnostics.length} notes from walking</summary>
          <ul>
            {r.value.diagnostics.map((d) => (
              <li>{d}</li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

function Stack(props: { thread: ThreadRow; onAddress: (a: bigint) => void }) {
  const t = props.thread;
  return (
    <div class="stack">
      <h2>
        Thread {t.id}
        {t.name ? ` — ${t.name}` : ''}
        {t.crashed ? ' (crashed)' : ''}
      </h2>
      <table class="grid frames">
        <caption class="visually-hidden">Stack of thread {t.id}</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Frame</th>
            <th scope="col">Instruction</th>
            <th scope="col">Stack pointer</th>
            <th scope="col">Found by</th>
          </tr>
        </thead>
        <tbody>
          {t.frames.map((f) => (
            <tr data-frame={f.index}>
              <td>{f.index}</td>
              <td class="wrap mono frame-title">
                {f.title}
                {f.inlines.map((i) => (
                  <div class="inline-frame">inlined: {i}</div>
                ))}
              </td>
              <td>
                <button type="button" class="link mono" onClick={() => props.onAddress(f.instruction)} title="Show in the hex view">
                  {addr(f.instruction)}
                </button>
              </td>
              <td>
                {f.sp !== undefined && (
                  <button type="button" class="link mono" onClick={() => props.onAddress(f.sp!)} title="Show in the hex view">
                    {addr(f.sp)}
                  </button>
                )}
              </td>
              <td>{TRUST[f.trust] ?? f.trust}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {t.end && <p class="muted">Walk ended: {t.end}</p>}
    </div>
  );
}
