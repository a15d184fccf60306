// Summary and limits: what the dump is, and what it can and cannot answer.
import type { DumpSummary } from '../worker/protocol.js';
import { sizeText } from './format.js';

export function SummaryView(props: { summary: DumpSummary; openedMs: number }) {
  const s = props.summary;
  return (
    <div class="summary">
      <dl class="facts">
        <dt>File</dt>
        <dd>
          {s.name}, {sizeText(s.size)}
        </dd>
        {s.facts.map(([k, v]) => (
          <>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </>
        ))}
      </dl>
      <h2>What this dump can answer</h2>
      <ul class="limits">
        <li>{s.title}</li>
        {s.limits.map((l) => (
          <li>{l}</li>
        ))}
      </ul>
      {s.diagnostics.length > 0 && (
        <>
          <h2>Notes from reading it</h2>
          <ul class="diagnostics">
            {s.diagnostics.map((d) => (
              <li>{d}</li>
            ))}
          </ul>
        </>
      )}
      <p class="muted" data-testid="opened-ms">
        Opened in {props.openedMs.toFixed(0)} ms.
      </p>
    </div>
  );
}
