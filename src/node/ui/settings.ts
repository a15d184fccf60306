import { mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { DumpError } from '../../core/errors.js';
import { PROFILE_NAMES, type ProfileName } from '../../core/machine/profiles.js';
import { onlyErrno } from '../errno.js';
import { FileSink } from '../file-sink.js';
import type { LiveSettings, ModelMachine, UiSettings } from './wire.js';

export type { LiveSettings, ModelMachine, UiSettings };

/** Task Manager's defaults: no hypervisor pages, no user pages, abort under memory pressure. */
export const DEFAULT_LIVE: LiveSettings = { hypervisorPages: 'none', userPages: false, abortOnMemoryPressure: true };
export const DEFAULT_MACHINE: ModelMachine = { profile: 'workstation', ramMiB: 2048, vms: 0 };

export function defaultSettings(): UiSettings {
  return { dumpFolder: null, live: { ...DEFAULT_LIVE }, machine: { ...DEFAULT_MACHINE } };
}

/** `$XDG_CONFIG_HOME/dumpkit/ui-settings.json` (`~/.config/dumpkit/…` by default). */
export function settingsPath(): string {
  const base = process.env.XDG_CONFIG_HOME && isAbsolute(process.env.XDG_CONFIG_HOME) ? process.env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'dumpkit', 'ui-settings.json');
}

const bad = (what: string): DumpError => new DumpError('INVALID_ARGUMENT', `settings: ${what}`);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks settings (from the file or a request): every field in range, unknown fields refused. */
export function validateSettings(v: unknown): UiSettings {
  if (!isObject(v)) throw bad('must be an object');
  const out = defaultSettings();
  for (const k of Object.keys(v)) if (!['dumpFolder', 'live', 'machine'].includes(k)) throw bad(`unknown field ${JSON.stringify(k)}`);
  if (v.dumpFolder !== undefined && v.dumpFolder !== null) {
    if (typeof v.dumpFolder !== 'string' || !isAbsolute(v.dumpFolder) || v.dumpFolder.includes('\0')) throw bad('dumpFolder must be an absolute path or null');
    out.dumpFolder = v.dumpFolder;
  }
  if (v.live !== undefined) {
    const l = v.live;
    if (!isObject(l)) throw bad('live must be an object');
    if (l.hypervisorPages !== undefined) {
      if (l.hypervisorPages !== 'none' && l.hypervisorPages !== 'essential' && l.hypervisorPages !== 'all') throw bad('live.hypervisorPages must be none, essential or all');
      out.live.hypervisorPages = l.hypervisorPages;
    }
    for (const k of ['userPages', 'abortOnMemoryPressure'] as const) {
      if (l[k] !== undefined) {
        if (typeof l[k] !== 'boolean') throw bad(`live.${k} must be true or false`);
        out.live[k] = l[k];
      }
    }
  }
  if (v.machine !== undefined) out.machine = validateMachine(v.machine);
  return out;
}

/** A modeled machine: a known profile, 256 MiB–1 TiB of RAM, 0–64 VMs. */
export function validateMachine(m: unknown): ModelMachine {
  if (!isObject(m)) throw bad('machine must be an object');
  const out = { ...DEFAULT_MACHINE };
  if (m.profile !== undefined) {
    if (typeof m.profile !== 'string' || !(PROFILE_NAMES as readonly string[]).includes(m.profile)) throw bad(`machine.profile must be one of ${PROFILE_NAMES.join(', ')}`);
    out.profile = m.profile as ProfileName & ModelMachine['profile'];
  }
  if (m.ramMiB !== undefined) {
    if (!Number.isInteger(m.ramMiB) || (m.ramMiB as number) < 256 || (m.ramMiB as number) > 1024 * 1024) throw bad('machine.ramMiB must be a whole number from 256 to 1048576');
    out.ramMiB = m.ramMiB as number;
  }
  if (m.vms !== undefined) {
    if (!Number.isInteger(m.vms) || (m.vms as number) < 0 || (m.vms as number) > 64) throw bad('machine.vms must be a whole number from 0 to 64');
    out.vms = m.vms as number;
  }
  return out;
}

/** The machine spec `dumpkit live` takes: `<profile>:<RAM>M[:vms=N]`. */
export function machineSpec(m: ModelMachine): string {
  return `${m.profile}:${m.ramMiB}M${m.vms ? `:vms=${m.vms}` : ''}`;
}

/** Reads the settings file; defaults where there is none. A malformed file is an error that says which. */
export function loadSettings(path = settingsPath()): UiSettings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (onlyErrno(e).code === 'ENOENT') return defaultSettings();
    throw new DumpError('IO', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code}`);
  }
  try {
    return validateSettings(JSON.parse(text));
  } catch (e) {
    if (e instanceof SyntaxError) throw new DumpError('INVALID_ARGUMENT', `${path} is not JSON: ${e.message}`);
    if (e instanceof DumpError) throw new DumpError(e.code, `${path}: ${e.message}`);
    throw e;
  }
}

/** Writes the settings file (temporary name, mode 0600, renamed into place; its folder 0700). */
export function saveSettings(s: UiSettings, path = settingsPath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const sink = FileSink.create(path, { overwrite: true });
  try {
    sink.writeSync(new TextEncoder().encode(JSON.stringify(s, null, 2) + '\n'));
    sink.commit();
  } catch (e) {
    sink.abort();
    throw e;
  }
}
