/** .dump: write a smaller dump of the open one (the varieties engine; never a larger one). */
import { Diagnostics } from '../../diagnostics.js';
import { DumpError } from '../../errors.js';
import { convertMinidump, varietyOf } from '../../minidump/convert.js';
import { MinidumpTarget } from '../minidump-target.js';
import type { Command } from '../types.js';

const MINIDUMP_OPTIONS: Record<string, 'mini' | 'miniplus' | 'full'> = { m: 'mini', mp: 'miniplus', ma: 'full' };
const KERNEL_OPTIONS: Record<string, string> = { f: 'complete', k: 'kernel', a: 'active', s: 'small' };

export const DUMP_COMMANDS: Command[] = [
  {
    names: ['.dump'],
    usage: '.dump [/o] /m|/mp|/ma|/f|/k|/a|/s FILE',
    summary: 'write a smaller dump of this one',
    help:
      'Writes the open dump as another variety, through the same engine as `dumpkit convert`. Minidumps: /m a mini dump (threads, stacks, modules), /mp MiniPlus (plus private read-write memory), /ma full memory (a copy when the dump is already full). ' +
      'Kernel dumps: /f complete, /a active, /k kernel, /s small (a triage dump of DumpType 4). A dump is never grown: asking for more than the open dump holds is refused. ' +
      'The file is written under a temporary name and renamed when complete, mode 0600; an existing file is not replaced unless /o is given.',
    async run(engine, { args }) {
      const words = args.trim().split(/\s+/).filter(Boolean);
      let overwrite = false;
      let option: string | undefined;
      const rest: string[] = [];
      for (const w of words) {
        if (w === '/o') overwrite = true;
        else if (/^\/[a-z]+$/i.test(w) && option === undefined && rest.length === 0) option = w.slice(1).toLowerCase();
        else rest.push(w);
      }
      const file = rest.join(' ').replace(/^"(.*)"$/, '$1');
      if (!file || option === undefined) throw new DumpError('INVALID_ARGUMENT', 'usage: .dump [/o] /m|/mp|/ma|/f|/k|/a|/s FILE');
      if (engine.target instanceof MinidumpTarget) {
        const to = MINIDUMP_OPTIONS[option];
        if (!to) throw new DumpError('INVALID_ARGUMENT', `.dump /${option}: a minidump is written with /m, /mp or /ma`);
        if (!engine.host.writeFile) throw new DumpError('UNSUPPORTED', 'this session cannot write files');
        const dump = engine.target.dump;
        const from = varietyOf(dump.header.flags);
        if (to === 'full') {
          if (from !== 'full') throw new DumpError('REFUSED', `cannot write a full-memory dump from a ${from} dump: that would grow it`);
          const src = dump.source;
          const size = await engine.host.writeFile(file, overwrite, async (sink) => {
            for (let off = 0; off < src.size; off += 1 << 22) await sink.write(await src.read(off, Math.min(1 << 22, src.size - off)));
            return sink.position;
          });
          return { text: `Dump successfully written: ${file} (full memory, ${size} bytes)`, data: { file, variety: 'full', bytes: size } };
        }
        const diag = new Diagnostics();
        const r = await engine.host.writeFile(file, overwrite, (sink) => convertMinidump(dump, sink, to, diag));
        return { text: `Dump successfully written: ${file} (${to}, ${r.size} bytes, ${r.memoryRanges} memory ranges)`, data: { file, variety: to, ...r, diagnostics: diag.list() } };
      }
      const variety = KERNEL_OPTIONS[option];
      if (!variety) throw new DumpError('INVALID_ARGUMENT', `.dump /${option}: a kernel dump is written with /f, /a, /k or /s`);
      if (!engine.host.deriveKernelDump) throw new DumpError('UNSUPPORTED', 'this session cannot write kernel dumps');
      const line = await engine.host.deriveKernelDump(variety, file, overwrite);
      return { text: `Dump successfully written: ${line}`, data: { file, variety } };
    },
  },
];
