// Task Manager's Details tab: every process of this computer, refreshed every 2 s, sortable and
// filterable; a row's menu creates its memory dump. The System row stands for a modeled Windows
// machine and creates live kernel memory dumps of it.
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { api, failureOf, type DumpFailure, type JobState, type ModelMachine, type ProcessRow, type SettingsView } from '../app/api.js';
import { DataTable, sortRows, type Column, type Sort } from '../app/DataTable.js';
import { formatK } from '../app/format.js';
import { Menu, type MenuItem } from '../app/Menu.js';
import { navigate } from '../app/route.js';
import { FailureDialog, JobDialog } from './DumpDialogs.js';
import { LIVE_TYPES, LiveDumpDialog } from './LiveDumpDialog.js';

const REFRESH_MS = 2000;
const SYSTEM_KEY = 'system';
const VARIETIES = [
  { type: 'full', label: 'Full' },
  { type: 'miniplus', label: 'MiniPlus' },
  { type: 'mini', label: 'Mini' },
] as const;

type Row = ProcessRow | { system: true };
const isSystem = (r: Row): r is { system: true } => 'system' in r;

interface ProcessesResponse {
  processes: ProcessRow[];
  server: { pid: number };
  system: { model: ModelMachine };
}

type Modal =
  | { kind: 'job'; id: string; title: string }
  | { kind: 'failure'; failure: DumpFailure }
  | { kind: 'live'; type: keyof typeof LIVE_TYPES; settings: SettingsView };

export function ProcessesPage() {
  const [data, setData] = useState<ProcessesResponse>();
  const [error, setError] = useState<DumpFailure>();
  const [filter, setFilter] = useState('');
  const [showKernel, setShowKernel] = useState(false);
  const [sort, setSort] = useState<Sort>({ key: 'name', descending: false });
  const [selected, setSelected] = useState<string>();
  const [menu, setMenu] = useState<{ row: Row; x: number; y: number; keyboard: boolean }>();
  const [modal, setModal] = useState<Modal>();

  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout>;
    const load = async () => {
      try {
        const d = await api<ProcessesResponse>('/api/processes');
        if (stop) return;
        setData(d);
        setError(undefined);
      } catch (e) {
        if (!stop) setError(failureOf(e));
      }
      if (!stop) timer = setTimeout(() => void load(), REFRESH_MS);
    };
    void load();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, []);

  const columns: Column<Row>[] = useMemo(
    () => [
      {
        key: 'name',
        label: 'Name',
        render: (r) => (isSystem(r) ? <span title="a modeled Windows machine, not this computer">System <span class="badge">model</span></span> : <span title={r.commandLine}>{r.name}</span>),
        sortValue: (r) => (isSystem(r) ? '' : r.name.toLowerCase()),
      },
      { key: 'pid', label: 'PID', numeric: true, render: (r) => (isSystem(r) ? '4' : r.pid), sortValue: (r) => (isSystem(r) ? -1 : r.pid), width: '6rem' },
      { key: 'user', label: 'User name', render: (r) => (isSystem(r) ? 'SYSTEM' : r.user), sortValue: (r) => (isSystem(r) ? '' : r.user), width: '9rem' },
      {
        key: 'cpu',
        label: 'CPU',
        numeric: true,
        render: (r) => (isSystem(r) || r.cpu === null ? '—' : String(Math.round(r.cpu)).padStart(2, '0')),
        sortValue: (r) => (isSystem(r) ? -1 : (r.cpu ?? -1)),
        width: '5rem',
      },
      {
        key: 'memory',
        label: 'Memory (private working set)',
        numeric: true,
        render: (r) => (isSystem(r) ? '—' : formatK(r.privateBytes)),
        sortValue: (r) => (isSystem(r) ? -1 : (r.privateBytes ?? -1)),
        width: '14rem',
      },
      { key: 'threads', label: 'Threads', numeric: true, render: (r) => (isSystem(r) ? '—' : r.threads), sortValue: (r) => (isSystem(r) ? -1 : r.threads), width: '6rem' },
      {
        key: 'arch',
        label: 'Architecture',
        render: (r) => (isSystem(r) ? 'x64 (model)' : r.kernelThread ? 'kernel thread' : (r.arch ?? '—')),
        sortValue: (r) => (isSystem(r) ? '' : r.kernelThread ? 'z' : (r.arch ?? 'y')),
        width: '8rem',
      },
      {
        key: 'actions',
        label: 'Actions',
        render: (r) => (
          <button
            type="button"
            class="icon-button row-menu-button"
            tabIndex={-1}
            aria-label={`Actions for ${isSystem(r) ? 'System (modeled machine)' : `${r.name}, PID ${r.pid}`}`}
            aria-haspopup="menu"
            onClick={(e) => {
              e.stopPropagation();
              const b = (e.currentTarget as HTMLElement).getBoundingClientRect();
              setSelected(isSystem(r) ? SYSTEM_KEY : String(r.pid));
              setMenu({ row: r, x: b.left - 200, y: b.bottom, keyboard: e.detail === 0 });
            }}
          >
            ⋯
          </button>
        ),
        width: '3.5rem',
      },
    ],
    [],
  );

  const rows: Row[] = useMemo(() => {
    const f = filter.trim().toLowerCase();
    const list = (data?.processes ?? []).filter(
      (p) => (showKernel || !p.kernelThread) && (!f || p.name.toLowerCase().includes(f) || String(p.pid) === f || p.user.toLowerCase().includes(f) || p.commandLine.toLowerCase().includes(f)),
    );
    const systemShown = !f || 'system'.includes(f);
    return [...(systemShown ? [{ system: true } as Row] : []), ...sortRows<Row>(list, columns, sort)];
  }, [data, filter, showKernel, sort, columns]);

  const capture = useCallback(async (p: ProcessRow, type: (typeof VARIETIES)[number]['type']) => {
    try {
      const job = await api<JobState>('/api/captures', { method: 'POST', body: { pid: p.pid, type } });
      setModal({ kind: 'job', id: job.id, title: `Creating a ${VARIETIES.find((v) => v.type === type)!.label} memory dump of ${p.name} (PID ${p.pid})` });
    } catch (e) {
      setModal({ kind: 'failure', failure: failureOf(e) });
    }
  }, []);

  const startLive = useCallback(async (type: keyof typeof LIVE_TYPES) => {
    try {
      setModal({ kind: 'live', type, settings: await api<SettingsView>('/api/settings') });
    } catch (e) {
      setModal({ kind: 'failure', failure: failureOf(e) });
    }
  }, []);

  const createLive = useCallback(async (type: keyof typeof LIVE_TYPES, machine: ModelMachine) => {
    try {
      const job = await api<JobState>('/api/live', { method: 'POST', body: { type, machine } });
      setModal({ kind: 'job', id: job.id, title: `Creating a ${LIVE_TYPES[type].toLowerCase()} of the modeled machine` });
    } catch (e) {
      setModal({ kind: 'failure', failure: failureOf(e) });
    }
  }, []);

  const menuItems = (r: Row): MenuItem[] => {
    if (isSystem(r)) {
      return [
        {
          label: 'Create live kernel memory dump file',
          items: (Object.keys(LIVE_TYPES) as (keyof typeof LIVE_TYPES)[]).map((t) => ({ label: LIVE_TYPES[t], onSelect: () => void startLive(t) })),
        },
        { label: 'Live kernel dump settings…', onSelect: () => navigate('settings') },
      ];
    }
    const own = data?.server.pid === r.pid;
    const why = r.kernelThread ? 'a kernel thread has no user memory' : own ? 'this is the dumpkit ui server' : undefined;
    return [
      {
        label: 'Create memory dump file',
        disabled: why !== undefined,
        note: why,
        items: VARIETIES.map((v) => ({ label: v.label, onSelect: () => void capture(r, v.type) })),
      },
    ];
  };

  const shown = rows.length - (rows[0] && isSystem(rows[0]) ? 1 : 0);
  return (
    <section aria-labelledby="processes-title" class="page">
      <div class="toolbar">
        <h1 id="processes-title">Processes</h1>
        <label class="filter">
          <span class="visually-hidden">Filter processes</span>
          <input type="search" placeholder="Filter by name, PID, user or command line" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
        </label>
        <label class="check">
          <input type="checkbox" checked={showKernel} onChange={(e) => setShowKernel(e.currentTarget.checked)} />
          Show kernel threads
        </label>
        <span class="muted" role="status" aria-live="off">
          {data ? `${shown} of ${data.processes.length} processes · refreshed every ${REFRESH_MS / 1000} s` : 'Loading…'}
        </span>
      </div>
      {error && (
        <p class="error-banner" role="alert">
          {error.title}: {error.advice}
        </p>
      )}
      <p class="hint muted">Right-click a process, press the context-menu key or Shift+F10, or use its ⋯ button, to create a memory dump file.</p>
      <div class="table-scroll">
        <DataTable<Row>
          caption="Processes of this computer, and the System row of a modeled Windows machine"
          columns={columns}
          rows={rows}
          rowKey={(r) => (isSystem(r) ? SYSTEM_KEY : String(r.pid))}
          sort={sort}
          onSort={setSort}
          selected={selected}
          onSelect={setSelected}
          onMenu={(row, x, y, keyboard) => setMenu({ row, x, y, keyboard })}
          rowClass={(r) => (isSystem(r) ? 'system-row' : undefined)}
        />
      </div>
      {menu && (
        <Menu
          items={menuItems(menu.row)}
          x={menu.x}
          y={menu.y}
          focusFirst={menu.keyboard}
          label={isSystem(menu.row) ? 'System (modeled machine)' : `${menu.row.name} (PID ${menu.row.pid})`}
          onClose={() => setMenu(undefined)}
        />
      )}
      {modal?.kind === 'job' && <JobDialog id={modal.id} title={modal.title} onClose={() => setModal(undefined)} />}
      {modal?.kind === 'failure' && <FailureDialog failure={modal.failure} onClose={() => setModal(undefined)} />}
      {modal?.kind === 'live' && (
        <LiveDumpDialog
          type={modal.type}
          settings={modal.settings}
          onCancel={() => setModal(undefined)}
          onCreate={(m) => {
            const t = modal.type;
            setModal(undefined);
            void createLive(t, m);
          }}
        />
      )}
    </section>
  );
}
