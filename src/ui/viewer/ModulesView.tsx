// Modules: base, end, size, name, version and debug identifiers, filterable.
import { useState } from 'preact/hooks';
import type { DumpClient } from '../worker/client.js';
import { ErrorBox } from './ErrorBox.js';
import { addr, sizeText } from './format.js';
import { useRequest } from './use-request.js';

export function ModulesView(props: { client: DumpClient; onAddress: (a: bigint) => void }) {
  const r = useRequest(() => props.client.request('modules', {}), []);
  const [filter, setFilter] = useState('');
  if (r.state === 'loading') return <p role="status">Reading modules…</p>;
  if (r.state === 'failed') return <ErrorBox error={r.error} what="Modules" />;
  const f = filter.toLowerCase();
  const rows = r.value.filter((m) => !f || m.name.toLowerCase().includes(f));
  return (
    <div class="modules">
      <label>
        Filter <input type="search" value={filter} onInput={(e) => setFilter((e.currentTarget as HTMLInputElement).value)} />
      </label>{' '}
      <span class="muted">
        {rows.length} of {r.value.length} modules
      </span>
      <div class="table-scroll">
        <table class="grid">
          <caption class="visually-hidden">Modules of the dump</caption>
          <thead>
            <tr>
              <th scope="col">Base</th>
              <th scope="col">End</th>
              <th scope="col">Size</th>
              <th scope="col">Name</th>
              <th scope="col">Version</th>
              <th scope="col">Debug file / id</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((m) => (
              <tr>
                <td>
                  <button type="button" class="link mono" onClick={() => props.onAddress(m.base)} title="Show in the hex view">
                    {addr(m.base)}
                  </button>
                </td>
                <td class="mono">{addr(m.base + BigInt(m.size))}</td>
                <td>{sizeText(m.size)}</td>
                <td class="wrap">{m.name}</td>
                <td>{m.version ?? ''}</td>
                <td class="mono small">{m.debugFile ? `${m.debugFile} ${m.debugId ?? ''}` : (m.debugId ?? '')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
