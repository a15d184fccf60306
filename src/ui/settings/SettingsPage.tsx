// Settings: Task Manager's live kernel memory dump options (hypervisor pages with or without the
// nonessential ones, user pages, abort if memory pressure, restore defaults), the modeled machine
// the System row stands for, and the dump folder. Each change is saved at once (the server writes
// the settings file).
import { useEffect, useState } from 'preact/hooks';
import { api, failureOf, type DumpFailure, type LiveSettings, type SettingsView, type UiSettings } from '../app/api.js';

export function SettingsPage() {
  const [view, setView] = useState<SettingsView>();
  const [status, setStatus] = useState('');
  const [failure, setFailure] = useState<DumpFailure>();
  const [folder, setFolder] = useState('');

  useEffect(() => {
    api<SettingsView>('/api/settings').then(
      (v) => {
        setView(v);
        setFolder(v.settings.dumpFolder ?? '');
      },
      (e: unknown) => setFailure(failureOf(e)),
    );
  }, []);

  const save = async (next: UiSettings | 'defaults') => {
    setStatus('Saving…');
    try {
      const v = next === 'defaults' ? await api<SettingsView>('/api/settings/restore-defaults', { method: 'POST', body: {} }) : await api<SettingsView>('/api/settings', { method: 'PUT', body: next });
      setView(v);
      setFolder(v.settings.dumpFolder ?? '');
      setFailure(undefined);
      setStatus(next === 'defaults' ? 'Defaults restored and saved.' : 'Saved.');
    } catch (e) {
      setFailure(failureOf(e));
      setStatus('');
    }
  };
  if (!view) return <section class="page">{failure ? <p role="alert">{failure.title}: {failure.advice}</p> : <p>Loading…</p>}</section>;
  const s = view.settings;
  const live = (patch: Partial<LiveSettings>) => void save({ ...s, live: { ...s.live, ...patch } });
  const hv = s.live.hypervisorPages;
  return (
    <section class="page settings" aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <fieldset>
        <legend>Live kernel memory dump</legend>
        <p class="muted">Used by "Create live kernel memory dump file" on the System row (a modeled Windows machine). Adding pages makes the file bigger and needs more free memory while it is written.</p>
        <button type="button" onClick={() => void save('defaults')}>
          Restore defaults
        </button>
        <label class="check">
          <input type="checkbox" checked={s.live.abortOnMemoryPressure} onChange={(e) => live({ abortOnMemoryPressure: e.currentTarget.checked })} />
          Abort if memory pressure
        </label>
        <p class="muted indent">When free memory cannot hold the copy: stop (checked), or write a partial dump, kernel pages first.</p>
        <label class="check">
          <input type="checkbox" checked={hv !== 'none'} onChange={(e) => live({ hypervisorPages: e.currentTarget.checked ? 'essential' : 'none' })} />
          Capture Hypervisor memory pages
        </label>
        <label class="check indent">
          <input type="checkbox" disabled={hv === 'none'} checked={hv === 'all'} onChange={(e) => live({ hypervisorPages: e.currentTarget.checked ? 'all' : 'essential' })} />
          Include nonessential hypervisor pages
        </label>
        <label class="check">
          <input type="checkbox" checked={s.live.userPages} onChange={(e) => live({ userPages: e.currentTarget.checked })} />
          Capture User pages
        </label>
      </fieldset>
      <fieldset>
        <legend>Dump folder</legend>
        <p>
          Dumps are written to <code class="path" data-testid="dump-folder">{view.dumpFolder}</code> ({view.dumpFolderSource}); live kernel dumps under its{' '}
          <code>Users/…/TaskManager/LiveKernelDumps</code>.
        </p>
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            void save({ ...s, dumpFolder: folder.trim() === '' ? null : folder.trim() });
          }}
        >
          <label for="dump-folder">Folder (an absolute path; empty for the per-user temporary folder)</label>
          <input id="dump-folder" type="text" value={folder} disabled={view.dumpFolderSource === '--dump-dir'} onInput={(e) => setFolder(e.currentTarget.value)} />
          <button type="submit" disabled={view.dumpFolderSource === '--dump-dir'}>
            Save folder
          </button>
        </form>
        {view.dumpFolderSource === '--dump-dir' && <p class="muted">Set by --dump-dir for this run.</p>}
      </fieldset>
      <p class="muted">
        Saved in <code class="path">{view.settingsFile}</code>.
      </p>
      <p role="status" aria-live="polite" class="status">
        {status}
      </p>
      {failure && (
        <p role="alert" class="error-banner">
          {failure.title}: {failure.detail}
        </p>
      )}
    </section>
  );
}
