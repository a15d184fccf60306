import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DumpError } from '../../core/errors.js';
import { FileSink, inNewFolders } from '../file-sink.js';
import { DEFAULT_CONFIG_PATH, defaultConfigText, loadConfig, type HandlerConfig } from './config.js';
import { recentLog } from './crash-log.js';
import { ensureFolder } from './dump-folder.js';
import { compileForwarder } from './forwarder.js';
import { CORE_PATTERN, CORE_PIPE_LIMIT, forwarderPattern, handlerPattern, looksLikeHandler, readKernelSetting, requireRoot, writeKernelSetting } from './kernel-settings.js';

/**
 * `dumpkit handler install|uninstall|status`. install saves the kernel's previous core_pattern and
 * core_pipe_limit in a state file (mode 0600) before changing them; uninstall puts them back and
 * removes the state file.
 */
export const DEFAULT_STATE_DIR = '/var/lib/dumpkit';
const STATE_FILE = 'handler-state.json';

export interface HandlerState {
  version: 1;
  /** What was there before install (restored by uninstall). */
  previousPattern: string;
  previousPipeLimit: string;
  /** What install wrote. */
  pattern: string;
  pipeLimit: number;
  configPath: string;
  installedAt: string;
  /** install --resident: the forwarder the pattern runs and the daemon's socket it connects to. */
  resident?: { forwarder: string; socket: string };
}

export interface Locations {
  configPath: string;
  stateDir: string;
}

export function statePath(stateDir: string): string {
  return join(stateDir, STATE_FILE);
}

export function readState(stateDir: string): HandlerState | undefined {
  const p = statePath(stateDir);
  if (!existsSync(p)) return undefined;
  const raw = JSON.parse(readFileSync(p, 'utf8')) as HandlerState;
  if (raw?.version !== 1 || typeof raw.previousPattern !== 'string' || typeof raw.pattern !== 'string') throw new DumpError('BAD_VERSION', `${p}: not a dumpkit handler state file (version 1)`);
  return raw;
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await inNewFolders(dirname(path), async () => {
    const sink = FileSink.create(path, { overwrite: true });
    try {
      sink.writeSync(new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value, null, 2) + '\n'));
      sink.commit({ sync: true });
    } catch (e) {
      sink.abort();
      throw e;
    }
  });
}

/**
 * The published entry (bin/dumpkit.cjs) of the package this code belongs to: found by walking up
 * from this module (src/node/handler/ or the bundle dist/cli/commands/) to the folder holding it.
 */
export function defaultEntry(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const entry = join(dir, 'bin', 'dumpkit.cjs');
    if (existsSync(entry) && existsSync(join(dir, 'package.json'))) return entry;
    dir = dirname(dir);
  }
  throw new DumpError('INVALID_ARGUMENT', 'cannot find bin/dumpkit.cjs above this module; pass --entry');
}

export interface InstallResult {
  pattern: string;
  pipeLimit: number;
  previousPattern: string;
  previousPipeLimit: string;
  statePath: string;
  configPath: string;
  configCreated: boolean;
  dumpFolder: string;
  resident?: { forwarder: string; socket: string };
}

export interface InstallOptions {
  node?: string;
  entry?: string;
  /** The resident path: compile the forwarder to `forwarder`, connecting to `socket`, and point the pattern at it. */
  resident?: { forwarder: string; socket: string };
}

export async function install(loc: Locations, opts: InstallOptions = {}): Promise<InstallResult> {
  requireRoot('dumpkit handler install');
  const node = resolve(opts.node ?? process.execPath);
  const entry = resolve(opts.entry ?? defaultEntry());
  if (!existsSync(entry)) throw new DumpError('INVALID_ARGUMENT', `${entry} does not exist`);
  if (entry.endsWith('/bin/dumpkit.cjs') && !existsSync(join(dirname(entry), '..', 'dist', 'cli', 'main.cjs'))) {
    throw new DumpError('REFUSED', `${entry} needs the built CLI (${join(dirname(dirname(entry)), 'dist/cli/main.cjs')} is missing): run npm run build first`);
  }
  const configPath = resolve(loc.configPath);
  let configCreated = false;
  if (!existsSync(configPath)) {
    if (configPath !== DEFAULT_CONFIG_PATH) throw new DumpError('INVALID_ARGUMENT', `${configPath} does not exist`);
    await writeJson(configPath, defaultConfigText());
    configCreated = true;
  }
  const config = loadConfig(configPath); // refuses a bad configuration now, not at the first crash
  const configArgs = configPath === DEFAULT_CONFIG_PATH ? [] : ['--config', configPath];
  // Checked in any case: the forwarder falls back to this very command.
  let pattern = handlerPattern(node, entry, configArgs);
  const resident = opts.resident && { forwarder: resolve(opts.resident.forwarder), socket: resolve(opts.resident.socket) };
  if (resident) {
    pattern = forwarderPattern(resident.forwarder);
    const longest = Math.max(config.TimeLimitSeconds, ...Object.values(config.Applications).map((a) => a.TimeLimitSeconds ?? 0));
    mkdirSync(dirname(resident.forwarder), { recursive: true, mode: 0o755 });
    compileForwarder(resident.forwarder, { socket: resident.socket, node, entry, config: configArgs[1] ?? '', waitSeconds: longest + 30 });
  }
  // Every folder the handler will write into, now: a refusal here beats a lost crash later.
  for (const folder of new Set([config.DumpFolder, dirname(config.LogFile), ...Object.values(config.Applications).flatMap((a) => (a.DumpFolder ? [a.DumpFolder] : []))])) ensureFolder(folder);

  const current = readKernelSetting(CORE_PATTERN);
  const currentLimit = readKernelSetting(CORE_PIPE_LIMIT);
  const old = readState(loc.stateDir);
  // Installed again over our own pattern: what was there before us stays the thing to restore.
  const mine = old && old.pattern === current;
  const state: HandlerState = {
    version: 1,
    previousPattern: mine ? old.previousPattern : current,
    previousPipeLimit: mine ? old.previousPipeLimit : currentLimit,
    pattern,
    pipeLimit: config.CorePipeLimit,
    configPath,
    installedAt: new Date().toISOString(),
    ...(resident ? { resident } : {}),
  };
  // The state first: if anything below fails, uninstall can still put the old values back.
  await writeJson(statePath(loc.stateDir), state);
  writeKernelSetting(CORE_PIPE_LIMIT, String(config.CorePipeLimit));
  writeKernelSetting(CORE_PATTERN, pattern);
  return { pattern, pipeLimit: config.CorePipeLimit, previousPattern: state.previousPattern, previousPipeLimit: state.previousPipeLimit, statePath: statePath(loc.stateDir), configPath, configCreated, dumpFolder: config.DumpFolder, ...(resident ? { resident } : {}) };
}

export interface UninstallResult {
  installed: boolean;
  restoredPattern?: string;
  restoredPipeLimit?: string;
}

export function uninstall(loc: Locations, opts: { force?: boolean } = {}): UninstallResult {
  requireRoot('dumpkit handler uninstall');
  const state = readState(loc.stateDir);
  const current = readKernelSetting(CORE_PATTERN);
  if (!state) {
    if (looksLikeHandler(current)) throw new DumpError('REFUSED', `kernel.core_pattern is a dumpkit handler (${current}) but ${statePath(loc.stateDir)} is missing, so the previous pattern is unknown; set kernel.core_pattern yourself (e.g. sysctl kernel.core_pattern=core)`);
    return { installed: false };
  }
  if (current !== state.pattern && !opts.force) {
    throw new DumpError('REFUSED', `kernel.core_pattern was changed since install (now ${JSON.stringify(current)}); pass --force to put back ${JSON.stringify(state.previousPattern)} anyway`);
  }
  writeKernelSetting(CORE_PATTERN, state.previousPattern);
  writeKernelSetting(CORE_PIPE_LIMIT, state.previousPipeLimit);
  rmSync(statePath(loc.stateDir));
  return { installed: true, restoredPattern: state.previousPattern, restoredPipeLimit: state.previousPipeLimit };
}

export interface StatusReport {
  installed: boolean;
  corePattern: string;
  corePipeLimit: string;
  statePath: string;
  state?: HandlerState;
  /** The pattern is a dumpkit handler's but not the one in the state file (or there is none). */
  foreignHandler: boolean;
  configPath: string;
  config?: HandlerConfig;
  configError?: string;
  recentCrashes: { time: string; fields: Record<string, string> }[];
}

export function status(loc: Locations, recent = 10): StatusReport {
  const corePattern = readKernelSetting(CORE_PATTERN);
  const corePipeLimit = readKernelSetting(CORE_PIPE_LIMIT);
  const state = readState(loc.stateDir);
  const installed = !!state && state.pattern === corePattern;
  const configPath = resolve(installed ? state.configPath : loc.configPath);
  let config: HandlerConfig | undefined;
  let configError: string | undefined;
  try {
    config = loadConfig(configPath);
  } catch (e) {
    if (!(e instanceof DumpError)) throw e;
    configError = e.message;
  }
  return {
    installed,
    corePattern,
    corePipeLimit,
    statePath: statePath(loc.stateDir),
    state,
    foreignHandler: !installed && looksLikeHandler(corePattern),
    configPath,
    config,
    configError,
    recentCrashes: config ? recentLog(config.LogFile, recent) : [],
  };
}
