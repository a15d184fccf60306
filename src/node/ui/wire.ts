// The JSON `dumpkit ui` speaks (docs/ui.md): shared by the server (src/node/ui) and the page (src/ui),
// type declarations only, so the browser build imports nothing from Node.

/** One file of the dump folder, as `GET /api/files` lists it. */
export interface DumpFileEntry {
  /** Path relative to the dump folder, `/`-separated (`GET /files/<name>` serves it). */
  name: string;
  size: number;
  mtime: string;
  kind: 'minidump' | 'kernel' | 'other';
}

/** One row of the Processes page (Task Manager's Details tab). */
export interface ProcessRow {
  pid: number;
  name: string;
  user: string;
  /** Share of the whole machine's CPU time since the previous sample, in percent (null on the first). */
  cpu: number | null;
  /** Private working set in bytes: smaps_rollup Private_Clean + Private_Dirty (status RssAnon where unreadable). */
  privateBytes: number | null;
  threads: number;
  arch: '64-bit' | '32-bit' | null;
  /** A kernel thread: no user address space, nothing to dump. */
  kernelThread: boolean;
  commandLine: string;
}

/** The modeled Windows machine the System row stands for (never this computer). */
export interface ModelMachine {
  profile: 'workstation' | 'server' | 'hyperv-host';
  /** RAM in MiB. */
  ramMiB: number;
  vms: number;
}

/** Task Manager's live kernel dump settings. */
export interface LiveSettings {
  hypervisorPages: 'none' | 'essential' | 'all';
  userPages: boolean;
  abortOnMemoryPressure: boolean;
}

export interface UiSettings {
  /** Where dumps go; null: the per-user temporary folder. */
  dumpFolder: string | null;
  live: LiveSettings;
  machine: ModelMachine;
}

/** `GET /api/settings`: the settings, the folder in effect and where it comes from. */
export interface SettingsView {
  settings: UiSettings;
  dumpFolder: string;
  dumpFolderSource: string;
  settingsFile: string;
  defaults: { live: LiveSettings };
}

/** A failed dump as the page shows it: what to do, in the words of Task Manager's troubleshooting list, and dumpkit's own message. */
export interface DumpFailure {
  code: string;
  title: string;
  advice: string;
  detail: string;
}

/** What the progress dialog polls: a dump being written, then its result or its failure. */
export interface JobState {
  id: string;
  kind: 'capture' | 'live';
  /** What the job is of: `name (PID n)`, or the modeled machine. */
  target: string;
  state: 'running' | 'done' | 'failed';
  /** What is happening now, in words (e.g. "copying memory: the process is paused"). */
  phase: string;
  /** True while the target process is stopped. */
  paused: boolean;
  bytesWritten: number;
  /** Bytes to copy or write in the current phase, when known. */
  phaseDone?: number;
  phaseTotal?: number;
  /** How long the target was stopped, once known (captures). */
  pauseMs?: number;
  startedAt: string;
  elapsedMs: number;
  /** When done: the file relative to the dump folder (`/files/<file>`), its absolute path, and details. */
  file?: string;
  path?: string;
  result?: Record<string, unknown>;
  error?: DumpFailure;
}
