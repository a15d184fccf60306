/**
 * Text of an Analysis laid out like WinDbg's `!analyze -v`: a banner, the bug check with its
 * Arguments, then `FIELD: value` lines using the field names of the public !analyze documentation
 * (BUGCHECK_CODE, BUGCHECK_P1…, BUGCHECK_STR, PROCESS_NAME, FAULTING_IP, EXCEPTION_RECORD,
 * ERROR_CODE, READ_ADDRESS / WRITE_ADDRESS, FAULTING_THREAD, STACK_TEXT, SYMBOL_NAME, MODULE_NAME,
 * IMAGE_NAME, FAILURE_BUCKET_ID). dumpkit's own additions are SIGNATURE, SIGNATURE_HASH and LIMITS.
 */
import type { Analysis, AnalyzedFrame, ModuleRef } from './types.js';

const is32 = (a: Analysis) => a.arch === 'x86' || a.arch === 'arm' || a.arch === 'mips' || a.arch === 'ppc' || a.arch === 'sparc';

/** An address as WinDbg prints it: 8 digits on 32-bit targets, `xxxxxxxx`xxxxxxxx` on 64-bit ones. */
function ptr(a: Analysis, v: bigint): string {
  const x = (v & 0xffffffffffffffffn).toString(16);
  if (is32(a)) return x.padStart(8, '0');
  const p = x.padStart(16, '0');
  return `${p.slice(0, 8)}\`${p.slice(8)}`;
}

const modName = (m: ModuleRef) => m.name.replace(/\.(exe|dll|sys|so(\.[0-9.]+)?|dylib)$/i, '');

/** `module!function+0xoff`, or `module+0xoff`, or the bare address. */
export function frameText(a: Analysis, f: Pick<AnalyzedFrame, 'instruction' | 'module' | 'function' | 'functionOffset'>): string {
  if (f.function) return `${f.module ? modName(f.module) + '!' : ''}${f.function}${f.functionOffset ? '+0x' + f.functionOffset.toString(16) : ''}`;
  if (f.module) return `${modName(f.module)}+0x${f.module.offset.toString(16)}`;
  return ptr(a, f.instruction);
}

export function formatAnalysis(a: Analysis): string {
  const out: string[] = [];
  const line = (s = '') => out.push(s);
  const stars = '*'.repeat(79);
  const title = a.format === 'kernel' ? 'Bugcheck Analysis' : 'Exception Analysis';
  line(stars);
  line(`*${' '.repeat(77)}*`);
  line(`*${' '.repeat(24)}${title.padEnd(53)}*`);
  line(`*${' '.repeat(77)}*`);
  line(stars);
  line();

  const bc = a.bugCheck;
  if (bc) {
    line(`${bc.name ?? 'UNKNOWN_BUGCHECK'} (${bc.code.toString(16)})`);
    line(bc.description.charAt(0).toUpperCase() + bc.description.slice(1) + '.');
    if (bc.cause) line(bc.cause.charAt(0).toUpperCase() + bc.cause.slice(1) + '.');
    line('Arguments:');
    for (const p of bc.parameters) line(`Arg${p.index}: ${p.value.toString(16).padStart(16, '0')}, ${p.meaning}${p.valueName ? ` (${p.valueName})` : ''}`);
    line();
    line(`BUGCHECK_CODE:  ${bc.code.toString(16)}`);
    line();
    for (const p of bc.parameters) line(`BUGCHECK_P${p.index}: ${p.value.toString(16)}`);
    line();
    line(`BUGCHECK_STR:  ${bc.bugCheckString}`);
    line();
  }
  if (a.process?.name) {
    line(`PROCESS_NAME:  ${a.process.name}`);
    line();
  }
  if (a.faultingAddress !== undefined) {
    line('FAULTING_IP: ');
    line(frameText(a, a.faultingFrame ?? { instruction: a.faultingAddress, ...(a.faultingModule ? { module: a.faultingModule } : {}) }));
    line(ptr(a, a.faultingAddress));
    line();
  }
  if (a.faultingModule) {
    line(`FAULTING_MODULE: ${ptr(a, a.faultingModule.base)} ${modName(a.faultingModule)}`);
    line();
  }
  const ex = a.exception;
  if (ex) {
    const r = ex.record;
    line(`EXCEPTION_RECORD:  ${ex.use.address !== undefined ? `(.exr ${ptr(a, ex.use.address)}) ` : ''}(${ex.use.source})`);
    if (a.os === 'windows') {
      const at = r.address === a.faultingAddress && (a.faultingFrame?.module || a.faultingFrame?.function) ? ` (${frameText(a, a.faultingFrame)})` : '';
      line(`ExceptionAddress: ${ptr(a, r.address)}${at}`);
      line(`   ExceptionCode: ${r.code.toString(16).padStart(8, '0')} (${ex.reason.name})`);
      line(`  ExceptionFlags: ${r.flags.toString(16).padStart(8, '0')}`);
      line(`NumberParameters: ${r.information.length}`);
      ex.reason.parameters.forEach((p, i) => line(`   Parameter[${i}]: ${ptr(a, p.value)}  ${p.meaning}${p.valueName ? ` (${p.valueName})` : ''}`));
    } else {
      line(`${ex.reason.name}${ex.reason.subcode?.name ? ' / ' + ex.reason.subcode.name : ''}`);
      for (const p of ex.reason.parameters) line(`   ${p.field}: ${p.field === 'si_code' ? p.value.toString() : ptr(a, p.value)}  ${p.meaning}${p.valueName ? ` (${p.valueName})` : ''}`);
    }
    line(ex.reason.description.charAt(0).toUpperCase() + ex.reason.description.slice(1));
    line();
    if (a.os === 'windows') {
      line(`ERROR_CODE: (NTSTATUS) 0x${r.code.toString(16)} - ${ex.reason.codeName ?? ex.reason.name}`);
      line();
      line(`EXCEPTION_CODE_STR:  ${r.code.toString(16)}`);
      line();
    }
  }
  if (a.dataAddress) {
    const d = a.dataAddress;
    const field = d.access === 'write' ? 'WRITE_ADDRESS' : d.access === 'read' ? 'READ_ADDRESS' : d.access === 'execute' ? 'EXECUTE_ADDRESS' : 'FAULT_ADDRESS';
    line(`${field}:  ${ptr(a, d.address)}${d.module ? ` (${modName(d.module)}+0x${d.module.offset.toString(16)})` : ''}`);
    line();
  }
  if (a.context) {
    line(`CONTEXT:  ${a.context.use.address !== undefined ? `(.cxr ${ptr(a, a.context.use.address)}) ` : ''}(${a.context.use.source})`);
    line(`pc=${ptr(a, a.context.pc)} sp=${ptr(a, a.context.sp)}`);
    line();
  }
  if (a.thread?.id !== undefined) {
    line(`FAULTING_THREAD:  ${a.thread.id.toString(16).padStart(8, '0')}${a.thread.name ? ` (${a.thread.name})` : ''}`);
    line();
  }
  line('STACK_TEXT:  ');
  if (!a.stack.length) line('(none)');
  for (const f of a.stack) {
    const src = f.file ? ` [${f.file}${f.line !== undefined ? ` @ ${f.line}` : ''}]` : '';
    line(`${f.sp !== undefined ? ptr(a, f.sp) : '?'.repeat(is32(a) ? 8 : 17)} ${ptr(a, f.instruction)} ${frameText(a, f)}${src}${f.trust === 'context' ? '' : `  (${f.trust})`}`);
  }
  if (a.stackEnd) line(`(walk ended: ${a.stackEnd})`);
  line();
  const fu = a.followupFrame !== undefined ? a.stack[a.followupFrame] : undefined;
  const mod = fu?.module ?? a.faultingModule;
  if (fu?.function) {
    line(`SYMBOL_NAME:  ${frameText(a, { ...fu, functionOffset: 0n })}`);
    line();
  }
  if (mod) {
    line(`MODULE_NAME: ${modName(mod)}`);
    line();
    line(`IMAGE_NAME:  ${mod.name}`);
    line();
  }
  line(`FAILURE_BUCKET_ID:  ${a.failureBucketId}`);
  line();
  line(`SIGNATURE:  ${a.signature.text}${a.signature.systemOnly ? '  (system frames only)' : ''}`);
  line(`SIGNATURE_HASH:  ${a.signature.hash}`);
  if (a.limits.length) {
    line();
    line('LIMITS:');
    for (const l of a.limits) line(`  - ${l}`);
  }
  if (a.diagnostics.length) {
    line();
    line('DIAGNOSTICS:');
    for (const d of a.diagnostics) line(`  - ${d}`);
  }
  return out.join('\n');
}
