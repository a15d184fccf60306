import type { Command } from 'commander';
import { Diagnostics } from '../../../core/diagnostics.js';
import { DumpError } from '../../../core/errors.js';
import { toJson } from '../../../core/hex.js';
import { formatPlan, planJson } from '../../../core/varieties/plan.js';
import { planSvg } from '../../../core/varieties/plan-svg.js';
import { writeFileSafely } from '../../varieties/cli-util.js';
import { openVarietySource, planSource } from '../../varieties/variety-source.js';

interface Opts {
  json?: boolean;
  svg?: string;
  overwrite?: boolean;
  hypervisorPages: string;
  userPages?: boolean;
}

export function register(program: Command): void {
  program
    .command('plan')
    .description('size of each dump variety and the page file it needs, as a table, JSON or an SVG picture')
    .argument('<machine-or-dump>', 'a dump (e.g. from `dumpkit machine`), or a model spec like workstation:16G, hyperv-host:64G:vms=6:seed=2')
    .option('--json', 'print {"varieties": [{"name", "bytes", "pageFileBytes", "pages": {class: count}}]}')
    .option('--svg <file>', 'also write a stacked bar of page classes per variety')
    .option('--overwrite', 'replace an existing --svg file')
    .option('--hypervisor-pages <which>', 'live-full option: none, essential or all', 'none')
    .option('--user-pages', 'live-full option: keep user pages')
    .action(async (arg: string, o: Opts) => {
      if (o.hypervisorPages !== 'none' && o.hypervisorPages !== 'essential' && o.hypervisorPages !== 'all') {
        throw new DumpError('INVALID_ARGUMENT', `--hypervisor-pages must be none, essential or all (got ${o.hypervisorPages})`);
      }
      const diag = new Diagnostics();
      const src = await openVarietySource(arg, diag);
      try {
        const plans = await planSource(src, { hypervisorPages: o.hypervisorPages, userPages: !!o.userPages }, diag);
        if (o.svg) {
          const svg = new TextEncoder().encode(planSvg(plans, `dump varieties of ${src.profile ?? 'a'} machine, ${(src.ramBytes / 2 ** 30).toFixed(1)} GiB RAM`));
          await writeFileSafely(o.svg, !!o.overwrite, (sink) => sink.write(svg));
        }
        if (o.json) {
          const j = planJson(plans, src.ramBytes) as Record<string, unknown>;
          j.source = { name: src.name, variety: src.variety.name, classification: src.classification, ...(src.rules ? { rules: src.rules } : {}) };
          j.diagnostics = diag.list();
          process.stdout.write(toJson(j) + '\n');
        } else {
          let text = formatPlan(plans, src.ramBytes);
          text += `\npage classes from ${src.classification === 'derived' ? 'the page tables (real dump)' : src.classification === 'model' ? 'the model' : 'the dumpkit page-class blob'}`;
          for (const r of src.rules ?? []) text += `\n  ${r.applied ? 'applied' : 'not applied'}: ${r.rule} — ${r.detail}`;
          for (const d of diag.list()) text += `\n  note: ${d}`;
          process.stdout.write(text + '\n');
        }
      } finally {
        await src.close();
      }
    });
}
