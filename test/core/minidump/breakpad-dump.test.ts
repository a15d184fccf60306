/**
 * breakpad/minidump2.dmp field by field against Breakpad's own `minidump_dump` output
 * (corpus/minidump/breakpad/expected/minidump2.dump.out, the file Breakpad's minidump_dump_test compares).
 * The expected values are parsed from that text; nothing is computed by dumpkit.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { moduleCodeId, moduleDebugFile, moduleDebugId, moduleVersion } from '../../../src/core/minidump/reader/module-list.js';
import { corpusFile, corpusSkip, hasCorpus } from '../../helpers/corpus.js';
import { withCorpusDump } from '../../helpers/minidump-corpus.js';

interface Block {
  title: string;
  fields: Map<string, string>;
  blob?: string;
}

function parseDumpOut(text: string): Block[] {
  const blocks: Block[] = [];
  let cur: Block | undefined;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    if (line.startsWith('0x') && cur) cur.blob = line.slice(2);
    else if (!line.startsWith(' ')) blocks.push((cur = { title: line.trim(), fields: new Map() }));
    else if (cur) {
      const m = /^\s+(.+?)\s+= (.*)$/.exec(line);
      if (m) cur.fields.set(m[1]!, m[2]!);
    }
  }
  return blocks;
}

const blocks = hasCorpus ? parseDumpOut(readFileSync(corpusFile('minidump/breakpad/expected/minidump2.dump.out'), 'utf8')) : [];
const of = (title: string) => blocks.filter((b) => b.title === title);
/** First token of a field as bigint ("0x45d35f73 2007-02-14 …" → 0x45d35f73n). */
const big = (b: Block, k: string): bigint => {
  const v = b.fields.get(k);
  assert.ok(v !== undefined, `field ${k} in ${b.title}`);
  return BigInt(v.split(/\s+/)[0]!);
};
const num = (b: Block, k: string) => Number(big(b, k));
const str = (b: Block, k: string) => /^"(.*)"$/.exec(b.fields.get(k) ?? '')?.[1];
const FILE = 'breakpad/minidump2.dmp';
const opts = { skip: corpusSkip };

describe('minidump2.dmp vs Breakpad minidump_dump', () => {
  test('header and directory', opts, () =>
    withCorpusDump(FILE, async (md) => {
      const [h] = of('MDRawHeader');
      assert.equal(md.header.signature, num(h!, 'signature'));
      assert.equal(md.header.version, num(h!, 'version'));
      assert.equal(md.header.numberOfStreams, num(h!, 'stream_count'));
      assert.equal(md.header.streamDirectoryRva, num(h!, 'stream_directory_rva'));
      assert.equal(md.header.timeDateStamp, num(h!, 'time_date_stamp'));
      assert.equal(md.header.flags, big(h!, 'flags'));
      const dir = of('MDRawDirectory');
      assert.equal(md.directory.length, dir.length);
      dir.forEach((d, i) => {
        const e = md.directory[i]!;
        assert.equal(e.streamType, num(d, 'stream_type'));
        assert.equal(e.location.dataSize, num(d, 'location.data_size'));
        assert.equal(e.location.rva, num(d, 'location.rva'));
      });
    }),
  );

  test('threads, their x86 contexts and stacks; the exception and its context', opts, () =>
    withCorpusDump(FILE, async (md) => {
      const threads = await md.threads();
      const raw = of('MDRawThread');
      const ctxs = of('MDRawContextX86');
      const stacks = of('Stack');
      assert.equal(threads.length, raw.length);
      const REGS = ['dr0', 'dr1', 'dr2', 'dr3', 'dr6', 'dr7', 'gs', 'fs', 'es', 'ds', 'edi', 'esi', 'ebx', 'edx', 'ecx', 'eax', 'ebp', 'eip', 'cs', 'eflags', 'esp', 'ss'];
      const checkCtx = (c: Awaited<ReturnType<typeof md.context>>, b: Block) => {
        assert.equal(c?.contextFlags, num(b, 'context_flags'));
        for (const r of REGS) assert.equal(c?.registers[r], big(b, r), r);
      };
      for (const [i, t] of threads.entries()) {
        const b = raw[i]!;
        assert.equal(t.threadId, num(b, 'thread_id'));
        assert.equal(t.suspendCount, num(b, 'suspend_count'));
        assert.equal(t.priorityClass, num(b, 'priority_class'));
        assert.equal(t.priority, num(b, 'priority'));
        assert.equal(t.teb, big(b, 'teb'));
        assert.equal(t.stack.startOfMemoryRange, big(b, 'stack.start_of_memory_range'));
        assert.equal(t.stack.memory.dataSize, num(b, 'stack.memory.data_size'));
        assert.equal(t.stack.memory.rva, num(b, 'stack.memory.rva'));
        assert.equal(t.threadContext.dataSize, num(b, 'thread_context.data_size'));
        assert.equal(t.threadContext.rva, num(b, 'thread_context.rva'));
        checkCtx(await md.context(t.threadContext), ctxs[i]!);
        const stackBytes = await md.readMemory(t.stack.startOfMemoryRange, t.stack.memory.dataSize);
        assert.equal(Buffer.from(stackBytes).toString('hex'), stacks[i]!.blob);
      }
      const [x] = of('MDException');
      const ex = (await md.exception())!;
      assert.equal(ex.threadId, num(x!, 'thread_id'));
      assert.equal(ex.exceptionCode, num(x!, 'exception_record.exception_code'));
      assert.equal(ex.exceptionFlags, num(x!, 'exception_record.exception_flags'));
      assert.equal(ex.exceptionRecord, big(x!, 'exception_record.exception_record'));
      assert.equal(ex.exceptionAddress, big(x!, 'exception_record.exception_address'));
      assert.equal(ex.numberParameters, num(x!, 'exception_record.number_parameters'));
      ex.exceptionInformation.forEach((p, i) => assert.equal(p, big(x!, `exception_record.exception_information[ ${i}]`)));
      assert.equal(ex.threadContext.dataSize, num(x!, 'thread_context.data_size'));
      assert.equal(ex.threadContext.rva, num(x!, 'thread_context.rva'));
      checkCtx(await md.context(ex.threadContext), ctxs[threads.length]!);
    }),
  );

  test('modules: raw fields, version info, CodeView, code/debug ids, version', opts, () =>
    withCorpusDump(FILE, async (md) => {
      const mods = await md.modules();
      const raw = of('MDRawModule');
      assert.equal(mods.length, raw.length);
      for (const [i, m] of mods.entries()) {
        const b = raw[i]!;
        assert.equal(m.baseOfImage, big(b, 'base_of_image'));
        assert.equal(m.sizeOfImage, num(b, 'size_of_image'));
        assert.equal(m.checkSum, num(b, 'checksum'));
        assert.equal(m.timeDateStamp, num(b, 'time_date_stamp'));
        assert.equal(m.moduleNameRva, num(b, 'module_name_rva'));
        const vi = m.versionInfo;
        assert.equal(vi.signature, num(b, 'version_info.signature'));
        assert.equal(vi.strucVersion, num(b, 'version_info.struct_version'));
        assert.equal(`0x${vi.fileVersionMS.toString(16)}:0x${vi.fileVersionLS.toString(16)}`, b.fields.get('version_info.file_version'));
        assert.equal(`0x${vi.productVersionMS.toString(16)}:0x${vi.productVersionLS.toString(16)}`, b.fields.get('version_info.product_version'));
        assert.equal(vi.fileFlagsMask, num(b, 'version_info.file_flags_mask'));
        assert.equal(vi.fileOS, num(b, 'version_info.file_os'));
        assert.equal(vi.fileType, num(b, 'version_info.file_type'));
        assert.equal(m.cvRecordLocation.dataSize, num(b, 'cv_record.data_size'));
        assert.equal(m.cvRecordLocation.rva, num(b, 'cv_record.rva'));
        assert.equal(m.name, str(b, '(code_file)'));
        assert.equal(moduleCodeId(m, 'windows'), str(b, '(code_identifier)'));
        assert.equal(moduleDebugFile(m), str(b, '(debug_file)'));
        assert.equal(moduleDebugId(m), str(b, '(debug_identifier)'));
        assert.equal(moduleVersion(m) ?? '', str(b, '(version)'));
        const cv = m.cvRecord;
        assert.equal(cv?.kind, 'pdb70');
        if (cv?.kind === 'pdb70') {
          assert.equal(cv.age, num(b, '(cv_record).age'));
          assert.equal(cv.pdbFileName, str(b, '(cv_record).pdb_file_name'));
        }
      }
    }),
  );

  test('memory list regions and their bytes', opts, () =>
    withCorpusDump(FILE, async (md) => {
      const ranges = await md.memoryRanges();
      const raw = of('MDMemoryDescriptor');
      const mem = of('Memory');
      assert.equal(ranges.length, raw.length);
      for (const [i, r] of ranges.entries()) {
        assert.equal(r.start, big(raw[i]!, 'start_of_memory_range'));
        assert.equal(r.size, num(raw[i]!, 'memory.data_size'));
        assert.equal(r.fileOffset, num(raw[i]!, 'memory.rva'));
        assert.equal(Buffer.from(await md.source.read(r.fileOffset, r.size)).toString('hex'), mem[i]!.blob);
      }
    }),
  );

  test('system info, misc info, Breakpad info', opts, () =>
    withCorpusDump(FILE, async (md) => {
      const [s] = of('MDRawSystemInfo');
      const si = (await md.systemInfo())!;
      assert.equal(si.processorArchitecture, num(s!, 'processor_architecture'));
      assert.equal(si.processorLevel, num(s!, 'processor_level'));
      assert.equal(si.processorRevision, num(s!, 'processor_revision'));
      assert.equal(si.numberOfProcessors, num(s!, 'number_of_processors'));
      assert.equal(si.productType, num(s!, 'product_type'));
      assert.equal(si.majorVersion, num(s!, 'major_version'));
      assert.equal(si.minorVersion, num(s!, 'minor_version'));
      assert.equal(si.buildNumber, num(s!, 'build_number'));
      assert.equal(si.platformId, num(s!, 'platform_id'));
      assert.equal(si.csdVersionRva, num(s!, 'csd_version_rva'));
      assert.equal(si.suiteMask, num(s!, 'suite_mask'));
      assert.equal(si.cpu.versionInformation, num(s!, 'cpu.x86_cpu_info.version_information'));
      assert.equal(si.cpu.featureInformation, num(s!, 'cpu.x86_cpu_info.feature_information'));
      assert.equal(si.cpu.amdExtendedCpuFeatures, num(s!, 'cpu.x86_cpu_info.amd_extended_cpu_features'));
      assert.equal(si.csdVersion, str(s!, '(csd_version)'));
      assert.equal(si.cpu.vendorId, str(s!, '(cpu_vendor)'));
      const [m] = of('MDRawMiscInfo');
      const misc = (await md.miscInfo())!;
      assert.equal(misc.sizeOfInfo, num(m!, 'size_of_info'));
      assert.equal(misc.flags1, num(m!, 'flags1'));
      assert.equal(misc.processId, num(m!, 'process_id'));
      assert.equal(misc.processCreateTime, num(m!, 'process_create_time'));
      assert.equal(misc.processUserTime, num(m!, 'process_user_time'));
      assert.equal(misc.processKernelTime, num(m!, 'process_kernel_time'));
      const [bp] = of('MDRawBreakpadInfo');
      const info = (await md.breakpadInfo())!;
      assert.equal(info.validity, num(bp!, 'validity'));
      assert.equal(info.dumpThreadId, num(bp!, 'dump_thread_id'));
      assert.equal(info.requestingThreadId, num(bp!, 'requesting_thread_id'));
    }),
  );
});
