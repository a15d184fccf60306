import { existsSync } from 'node:fs';
import { Diagnostics } from '../../core/diagnostics.js';
import { DumpError, onlyDumpError } from '../../core/errors.js';
import { Machine } from '../../core/machine/machine.js';
import { PROFILE_NAMES, type ProfileName } from '../../core/machine/profiles.js';
import { fromMachine, fromOpenedDump, type VarietySource } from '../../core/varieties/variety-source.js';
import { parseIntOption, parseSize } from './cli-util.js';
import { openDump } from './open-dump.js';

// The variety sources themselves live in the core (the browser viewer uses them too); this file adds
// what needs Node: machine specs from the command line and dumps by path.
export { fromMachine, measureSmall, planSource, writeFromSource, type VarietySource, type WriteFromOptions } from '../../core/varieties/variety-source.js';

export const MACHINE_SPEC_FORM = `<profile>:<RAM>[:vms=N][:seed=N] with profile ${PROFILE_NAMES.join(', ')} (like workstation:16G:seed=3)`;

/** A machine from its spec; INVALID_ARGUMENT saying which part of the spec is wrong. */
export function machineFromSpec(arg: string): Machine {
  const bad = (why: string): DumpError => new DumpError('INVALID_ARGUMENT', `machine spec ${JSON.stringify(arg)}: ${why}; a spec is ${MACHINE_SPEC_FORM}`);
  const part = <T>(parse: () => T): T => {
    try {
      return parse();
    } catch (e) {
      throw bad(onlyDumpError(e).message);
    }
  };
  const [profile = '', ram, ...rest] = arg.split(':');
  if (!profile) throw bad('the profile is missing');
  if (!(PROFILE_NAMES as readonly string[]).includes(profile)) throw bad(`unknown profile ${JSON.stringify(profile)}`);
  if (!ram) throw bad('the RAM size is missing');
  const opts: { vms?: number; seed?: number } = {};
  for (const kv of rest) {
    const m = /^(vms|seed)=(.*)$/.exec(kv);
    if (!m) throw bad(`${JSON.stringify(kv)} is not vms=N or seed=N`);
    const k = m[1] as 'vms' | 'seed';
    if (opts[k] !== undefined) throw bad(`${k} is given twice`);
    opts[k] = part(() => parseIntOption(m[2]!, k, 0, k === 'vms' ? 64 : 0xffffffff));
  }
  const ramBytes = part(() => parseSize(ram, 'RAM'));
  return new Machine({ ramBytes, profile: profile as ProfileName, vms: opts.vms, seed: opts.seed });
}

export async function openVarietySource(arg: string, diag = new Diagnostics()): Promise<VarietySource> {
  if (existsSync(arg)) return fromOpenedDump(await openDump(arg, diag));
  try {
    return fromMachine(machineFromSpec(arg), arg);
  } catch (e) {
    // neither: say both what is wrong with it as a spec and that there is no such file
    const specError = onlyDumpError(e);
    if (specError.code !== 'INVALID_ARGUMENT') throw specError;
    throw new DumpError('INVALID_ARGUMENT', `${arg}: no such file, and not a valid ${specError.message}`);
  }
}
