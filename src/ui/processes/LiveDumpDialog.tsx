// "Create live kernel memory dump file" of the System row: the machine is a model dumpkit builds
// (a profile, its RAM, its VMs), said so in the dialog; the settings page decides which pages go in.
import { useState } from 'preact/hooks';
import type { ModelMachine, SettingsView } from '../app/api.js';
import { Dialog } from '../app/Dialog.js';
import { routeHref } from '../app/route.js';

export const LIVE_TYPES = { full: 'Full live kernel memory dump', 'kernel-stacks': 'Kernel stacks memory dump' } as const;
const PROFILES: { id: ModelMachine['profile']; label: string }[] = [
  { id: 'workstation', label: 'Workstation (Windows 10/11 desktop)' },
  { id: 'server', label: 'Server' },
  { id: 'hyperv-host', label: 'Hyper-V host' },
];
const RAM_MIB = [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536];

function hypervisorText(v: SettingsView['settings']['live']['hypervisorPages']): string {
  return v === 'none' ? 'not captured' : v === 'essential' ? 'captured, without nonessential pages' : 'captured, with nonessential pages';
}

export function LiveDumpDialog(p: { type: keyof typeof LIVE_TYPES; settings: SettingsView; onCancel: () => void; onCreate: (m: ModelMachine) => void }) {
  const [m, setM] = useState<ModelMachine>(p.settings.settings.machine);
  const live = p.settings.settings.live;
  return (
    <Dialog
      title={`${LIVE_TYPES[p.type]} — modeled machine`}
      onClose={p.onCancel}
      wide
      footer={
        <>
          <button type="button" class="primary" onClick={() => p.onCreate(m)}>
            Create dump
          </button>
          <button type="button" onClick={p.onCancel}>
            Cancel
          </button>
        </>
      }
    >
      <p class="model-note" role="note">
        This is a <strong>model</strong> of a Windows machine that dumpkit builds (its page tables, kernel, drivers and processes). It is not this computer:
        no memory of this computer goes into the file.
      </p>
      <form class="form-grid" onSubmit={(e) => (e.preventDefault(), p.onCreate(m))}>
        <label for="live-profile">Profile</label>
        <select id="live-profile" data-autofocus value={m.profile} onChange={(e) => setM({ ...m, profile: e.currentTarget.value as ModelMachine['profile'] })}>
          {PROFILES.map((x) => (
            <option value={x.id}>{x.label}</option>
          ))}
        </select>
        <label for="live-ram">RAM</label>
        <select id="live-ram" value={String(m.ramMiB)} onChange={(e) => setM({ ...m, ramMiB: Number(e.currentTarget.value) })}>
          {[...new Set([...RAM_MIB, m.ramMiB])].sort((a, b) => a - b).map((r) => (
            <option value={String(r)}>{r >= 1024 ? `${r / 1024} GiB` : `${r} MiB`}</option>
          ))}
        </select>
        <label for="live-vms">Virtual machines</label>
        <input id="live-vms" type="number" min={0} max={64} value={m.vms} onInput={(e) => setM({ ...m, vms: Math.max(0, Math.min(64, Math.floor(Number(e.currentTarget.value) || 0))) })} />
      </form>
      <h3>Settings</h3>
      <ul class="settings-summary">
        <li>Hypervisor memory pages: {hypervisorText(live.hypervisorPages)}</li>
        <li>User pages: {live.userPages ? 'captured' : 'not captured'}</li>
        <li>Abort if memory pressure: {live.abortOnMemoryPressure ? 'yes' : 'no (a partial dump, kernel pages first)'}</li>
      </ul>
      <p>
        <a href={routeHref('settings')} onClick={p.onCancel}>
          Change the live kernel dump settings
        </a>{' '}
        (Full live dumps only; a kernel stacks dump keeps processor state and kernel stacks). The file goes to <code class="path">{p.settings.dumpFolder}/Users/…/LiveKernelDumps</code>.
      </p>
    </Dialog>
  );
}
