import { existsSync } from 'node:fs';
import { DumpError } from '../../core/errors.js';
import type { Variety } from '../../core/minidump/varieties.js';
import { readInputText } from '../file-source.js';

/**
 * The crash handler's configuration, in Windows Error Reporting LocalDumps' terms (docs/handler.md):
 * a JSON object with WER's value names at the top level (the LocalDumps key) and per-executable
 * overrides under "Applications" (WER's LocalDumps\<app.exe> subkeys), plus the keys a Linux
 * pipe handler needs (KeepCore, MaxConcurrent, CorePipeLimit, the time and size caps, LogFile).
 */
export const DEFAULT_CONFIG_PATH = '/etc/dumpkit/handler.json';
export const DEFAULT_DUMP_FOLDER = '/var/lib/dumpkit/dumps';

/** The keys WER lets a per-application subkey override, and KeepCore and the caps. */
export interface DumpSettings {
  DumpFolder: string;
  /** Most dumps kept in DumpFolder; the oldest are removed past it (WER default 10). */
  DumpCount: number;
  /** 0 custom (CustomDumpFlags), 1 mini, 2 full (WER); "miniplus" (dumpkit's, ProcDump's -mp). */
  DumpType: 0 | 1 | 2 | 'miniplus';
  /** MINIDUMP_TYPE mask, used with DumpType 0. */
  CustomDumpFlags: number;
  /** Keep the kernel's ELF core beside the minidump (`<exe>.<pid>.core`). */
  KeepCore: boolean;
  /** Time cap for one crash, from the handler's start to its exit. */
  TimeLimitSeconds: number;
  /** Size cap for the core read from the kernel (also bounded by free space in DumpFolder). */
  CoreSizeLimitMB: number;
}

export interface HandlerConfig extends DumpSettings {
  /** Handlers doing the heavy work (spooling, converting) at once; the others wait for a slot. */
  MaxConcurrent: number;
  /** kernel.core_pipe_limit set by install: crashes piped at once past which the kernel skips the core. */
  CorePipeLimit: number;
  /** One line per crash; default `<DumpFolder>/dumpkit-handler.log`. */
  LogFile: string;
  /** Per-executable overrides, by the executable's file name (WER: LocalDumps\<name>). */
  Applications: Record<string, Partial<DumpSettings>>;
}

export const DEFAULTS: Omit<HandlerConfig, 'LogFile' | 'Applications'> = {
  DumpFolder: DEFAULT_DUMP_FOLDER,
  DumpCount: 10,
  DumpType: 1,
  // WER's default: MiniDumpWithDataSegs | MiniDumpWithUnloadedModules | MiniDumpWithProcessThreadData
  CustomDumpFlags: 0x121,
  KeepCore: false,
  TimeLimitSeconds: 60,
  CoreSizeLimitMB: 8192,
  MaxConcurrent: 2,
  CorePipeLimit: 64,
};

const PER_APP_KEYS = ['DumpFolder', 'DumpCount', 'DumpType', 'CustomDumpFlags', 'KeepCore', 'TimeLimitSeconds', 'CoreSizeLimitMB'] as const;
const GLOBAL_KEYS = ['MaxConcurrent', 'CorePipeLimit', 'LogFile', 'Applications'] as const;
const MAX_CONFIG_BYTES = 1024 * 1024;

/** Reads and checks the configuration; a missing file gives the defaults. */
export function loadConfig(path: string): HandlerConfig {
  if (!existsSync(path)) return parseConfig({}, path);
  return parseConfig(parseJson(readInputText(path, 'handler configuration', MAX_CONFIG_BYTES), path), path);
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DumpError('INVALID_ARGUMENT', `${path}: not JSON (${(e as Error).message})`);
  }
}

/** Checks a parsed configuration object; `where` names it in messages. */
/** loadConfig, or the defaults and why when the file is broken (a broken configuration must not lose a crash). */
export function loadConfigOrDefaults(path: string): { config: HandlerConfig; error?: string } {
  try {
    return { config: loadConfig(path) };
  } catch (e) {
    if (!(e instanceof DumpError)) throw e;
    return { config: parseConfig({}, path), error: e.message };
  }
}

export function parseConfig(raw: unknown, where: string): HandlerConfig {
  const obj = asObject(raw, where);
  for (const k of Object.keys(obj)) {
    if (!(PER_APP_KEYS as readonly string[]).includes(k) && !(GLOBAL_KEYS as readonly string[]).includes(k)) {
      throw new DumpError('INVALID_ARGUMENT', `${where}: unknown key ${JSON.stringify(k)} (known: ${[...PER_APP_KEYS, ...GLOBAL_KEYS].join(', ')})`);
    }
  }
  const base = { ...DEFAULTS, ...settings(obj, where) };
  const cfg: HandlerConfig = {
    ...base,
    MaxConcurrent: obj.MaxConcurrent === undefined ? DEFAULTS.MaxConcurrent : integer(obj.MaxConcurrent, `${where}: MaxConcurrent`, 1, 64),
    CorePipeLimit: obj.CorePipeLimit === undefined ? DEFAULTS.CorePipeLimit : integer(obj.CorePipeLimit, `${where}: CorePipeLimit`, 1, 4096),
    LogFile: obj.LogFile === undefined ? `${base.DumpFolder}/dumpkit-handler.log` : absolutePath(obj.LogFile, `${where}: LogFile`),
    Applications: {},
  };
  if (cfg.CorePipeLimit < cfg.MaxConcurrent) throw new DumpError('INVALID_ARGUMENT', `${where}: CorePipeLimit (${cfg.CorePipeLimit}) is below MaxConcurrent (${cfg.MaxConcurrent})`);
  if (obj.Applications !== undefined) {
    const apps = asObject(obj.Applications, `${where}: Applications`);
    for (const [name, v] of Object.entries(apps)) {
      const at = `${where}: Applications.${name}`;
      if (!name || name.includes('/')) throw new DumpError('INVALID_ARGUMENT', `${at}: an executable's file name, without a folder`);
      const app = asObject(v, at);
      for (const k of Object.keys(app)) {
        if (!(PER_APP_KEYS as readonly string[]).includes(k)) throw new DumpError('INVALID_ARGUMENT', `${at}: ${JSON.stringify(k)} cannot be set per application (only ${PER_APP_KEYS.join(', ')})`);
      }
      cfg.Applications[name] = settings(app, at);
    }
  }
  return cfg;
}

function settings(obj: Record<string, unknown>, where: string): Partial<DumpSettings> {
  const out: Partial<DumpSettings> = {};
  if (obj.DumpFolder !== undefined) out.DumpFolder = absolutePath(obj.DumpFolder, `${where}: DumpFolder`);
  if (obj.DumpCount !== undefined) out.DumpCount = integer(obj.DumpCount, `${where}: DumpCount`, 1, 100000);
  if (obj.DumpType !== undefined) out.DumpType = dumpType(obj.DumpType, `${where}: DumpType`);
  if (obj.CustomDumpFlags !== undefined) out.CustomDumpFlags = integer(obj.CustomDumpFlags, `${where}: CustomDumpFlags`, 0, 0xffffffff);
  if (obj.KeepCore !== undefined) {
    if (typeof obj.KeepCore !== 'boolean') throw new DumpError('INVALID_ARGUMENT', `${where}: KeepCore must be true or false`);
    out.KeepCore = obj.KeepCore;
  }
  if (obj.TimeLimitSeconds !== undefined) out.TimeLimitSeconds = integer(obj.TimeLimitSeconds, `${where}: TimeLimitSeconds`, 1, 3600);
  if (obj.CoreSizeLimitMB !== undefined) out.CoreSizeLimitMB = integer(obj.CoreSizeLimitMB, `${where}: CoreSizeLimitMB`, 1, 16 * 1024 * 1024);
  return out;
}

function dumpType(v: unknown, where: string): DumpSettings['DumpType'] {
  if (v === 0 || v === 1 || v === 2 || v === 'miniplus') return v;
  throw new DumpError('INVALID_ARGUMENT', `${where} must be 0 (custom), 1 (mini), 2 (full) or "miniplus", not ${JSON.stringify(v)}`);
}

function asObject(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DumpError('INVALID_ARGUMENT', `${where}: must be a JSON object`);
  return v as Record<string, unknown>;
}

function integer(v: unknown, where: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new DumpError('INVALID_ARGUMENT', `${where} must be an integer from ${min} to ${max}, not ${JSON.stringify(v)}`);
  return v;
}

function absolutePath(v: unknown, where: string): string {
  if (typeof v !== 'string' || !v.startsWith('/') || v.includes('\0')) throw new DumpError('INVALID_ARGUMENT', `${where} must be an absolute path`);
  return v.replace(/\/+$/, '') || '/';
}

/** MINIDUMP_TYPE bits that decide the variety a DumpType 0 (custom) dump is written as. */
const MiniDumpWithFullMemory = 0x2;
const MiniDumpWithPrivateReadWriteMemory = 0x200;
const MiniDumpWithIndirectlyReferencedMemory = 0x40;
const MiniDumpWithDataSegs = 0x1;

/** The settings for one executable: the top level with its Applications entry over it. */
export function settingsFor(cfg: HandlerConfig, exe: string): DumpSettings & { application?: string } {
  const app = Object.hasOwn(cfg.Applications, exe) ? cfg.Applications[exe] : undefined;
  const base: DumpSettings = {
    DumpFolder: cfg.DumpFolder,
    DumpCount: cfg.DumpCount,
    DumpType: cfg.DumpType,
    CustomDumpFlags: cfg.CustomDumpFlags,
    KeepCore: cfg.KeepCore,
    TimeLimitSeconds: cfg.TimeLimitSeconds,
    CoreSizeLimitMB: cfg.CoreSizeLimitMB,
  };
  return app ? { ...base, ...app, application: exe } : base;
}

/**
 * The dumpkit variety a DumpType means. DumpType 0 (custom) has no fixed content in dumpkit's
 * writer: CustomDumpFlags picks the nearest variety that holds at least what they ask for
 * (full memory → full; private read-write, indirectly referenced memory or data segments →
 * miniplus; else mini).
 */
export function varietyOf(s: Pick<DumpSettings, 'DumpType' | 'CustomDumpFlags'>): Variety {
  if (s.DumpType === 1) return 'mini';
  if (s.DumpType === 2) return 'full';
  if (s.DumpType === 'miniplus') return 'miniplus';
  const f = s.CustomDumpFlags;
  if (f & MiniDumpWithFullMemory) return 'full';
  if (f & (MiniDumpWithPrivateReadWriteMemory | MiniDumpWithIndirectlyReferencedMemory | MiniDumpWithDataSegs)) return 'miniplus';
  return 'mini';
}

/** The configuration file's text as `install` writes it when there is none: the defaults, spelled out. */
export function defaultConfigText(): string {
  const { DumpFolder, DumpCount, DumpType, KeepCore, MaxConcurrent, CorePipeLimit, TimeLimitSeconds, CoreSizeLimitMB } = DEFAULTS;
  return JSON.stringify({ DumpFolder, DumpCount, DumpType, KeepCore, MaxConcurrent, CorePipeLimit, TimeLimitSeconds, CoreSizeLimitMB, Applications: {} }, null, 2) + '\n';
}
