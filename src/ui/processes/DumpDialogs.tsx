// The dialogs around a dump: progress (the target's pause, bytes written), completion (the file's
// path, "Open in viewer", "Copy path") and failure (Task Manager's troubleshooting words).
import { useEffect, useState } from 'preact/hooks';
import { api, failureOf, type DumpFailure, type JobState } from '../app/api.js';
import { Dialog } from '../app/Dialog.js';
import { formatBytes, formatMs } from '../app/format.js';
import { navigate } from '../app/route.js';

/** Polls the job every 200 ms until it is done or failed. */
export function useJob(id: string): { job: JobState | undefined; failure: DumpFailure | undefined } {
  const [job, setJob] = useState<JobState>();
  const [failure, setFailure] = useState<DumpFailure>();
  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout>;
    const poll = async () => {
      try {
        const j = await api<JobState>(`/api/jobs/${id}`);
        if (stop) return;
        setJob(j);
        if (j.state === 'running') timer = setTimeout(() => void poll(), 200);
      } catch (e) {
        if (!stop) setFailure(failureOf(e));
      }
    };
    void poll();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [id]);
  return { job, failure };
}

export function JobDialog({ id, title, onClose }: { id: string; title: string; onClose: () => void }) {
  const { job, failure } = useJob(id);
  if (failure) return <FailureDialog failure={failure} onClose={onClose} />;
  if (job?.state === 'failed' && job.error) return <FailureDialog failure={job.error} onClose={onClose} />;
  if (job?.state === 'done') return <DoneDialog job={job} onClose={onClose} />;
  return <ProgressDialog title={title} job={job} />;
}

function ProgressDialog({ title, job }: { title: string; job: JobState | undefined }) {
  const pct = job?.phaseTotal ? Math.round(((job.phaseDone ?? 0) / job.phaseTotal) * 100) : undefined;
  return (
    <Dialog title={title}>
      <p aria-live="polite">{job ? `${job.phase[0]!.toUpperCase()}${job.phase.slice(1)}…` : 'Starting…'}</p>
      <div
        class="progress"
        role="progressbar"
        aria-label="Progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
        aria-valuetext={pct === undefined ? 'working' : `${pct}%`}
      >
        <div class={pct === undefined ? 'progress-bar indeterminate' : 'progress-bar'} style={pct === undefined ? undefined : { width: `${pct}%` }} />
      </div>
      <dl class="facts">
        <dt>Target</dt>
        <dd>{job?.target ?? '…'}</dd>
        {job?.kind === 'capture' && (
          <>
            <dt>Process paused</dt>
            <dd data-testid="paused">{job.paused ? 'yes, while its memory is copied' : job.pauseMs !== undefined ? `no (was paused ${formatMs(job.pauseMs)})` : 'no'}</dd>
          </>
        )}
        <dt>Written</dt>
        <dd data-testid="bytes-written">{formatBytes(job?.bytesWritten ?? 0)}</dd>
        <dt>Elapsed</dt>
        <dd>{formatMs(job?.elapsedMs)}</dd>
      </dl>
    </Dialog>
  );
}

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (e) {
    if (!(e instanceof DOMException) && !(e instanceof TypeError)) throw e;
    return false; // no clipboard permission: the path is selectable in the dialog
  }
}

function DoneDialog({ job, onClose }: { job: JobState; onClose: () => void }) {
  const [copied, setCopied] = useState<string>();
  const r = job.result ?? {};
  const isLive = job.kind === 'live';
  return (
    <Dialog
      title={isLive ? 'Live kernel memory dump created' : 'Memory dump created'}
      onClose={onClose}
      footer={
        <>
          <button type="button" class="primary" data-autofocus onClick={() => navigate('viewer', { dump: `server:${job.file}` })}>
            Open in viewer
          </button>
          <button
            type="button"
            onClick={async () => {
              const ok = await copyText(job.path ?? '');
              setCopied(ok ? 'Path copied to the clipboard.' : 'The clipboard is not available: select the path above and copy it.');
            }}
          >
            Copy path
          </button>
          <button type="button" onClick={onClose}>
            Close
          </button>
        </>
      }
    >
      <p>The file has been created:</p>
      <p>
        <code class="path" data-testid="dump-path">
          {job.path}
        </code>
      </p>
      <dl class="facts">
        <dt>Size</dt>
        <dd>{formatBytes(job.bytesWritten)}</dd>
        {isLive ? (
          <>
            <dt>Bug check</dt>
            <dd>{String(r.bugCheck)} LIVE_SYSTEM_DUMP</dd>
            <dt>Machine</dt>
            <dd>{job.target} (a model, not this computer)</dd>
            <dt>Pages</dt>
            <dd>
              {String(r.pages)}
              {r.partial ? ` of ${String(r.wantedPages)} wanted: partial (free memory held no more; kernel pages first)` : ''}
            </dd>
          </>
        ) : (
          <>
            <dt>Process</dt>
            <dd>{job.target}</dd>
            <dt>Threads</dt>
            <dd data-testid="dump-threads">{String(r.threads)}</dd>
            <dt>Process paused</dt>
            <dd>{formatMs(job.pauseMs)}</dd>
          </>
        )}
      </dl>
      <p role="status">{copied}</p>
    </Dialog>
  );
}

export function FailureDialog({ failure, onClose }: { failure: DumpFailure; onClose: () => void }) {
  return (
    <Dialog
      alert
      title={failure.title}
      onClose={onClose}
      footer={
        <button type="button" class="primary" data-autofocus onClick={onClose}>
          OK
        </button>
      }
    >
      <p data-testid="failure-advice">{failure.advice}</p>
      <details>
        <summary>Details ({failure.code})</summary>
        <p class="detail">{failure.detail}</p>
      </details>
    </Dialog>
  );
}
