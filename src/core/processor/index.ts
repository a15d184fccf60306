export { processMinidump, osVersionText, type ProcessOptions } from './process.js';
export type { ProcessState, ProcessThread, ProcessModule } from './process-state.js';
export { readMinidumpInput, codeModuleOf, minidumpMemoryReader, type MinidumpInput, type ThreadInput } from './minidump-input.js';
export { processStateToJson } from './json.js';
export { processStateToText, processStateToMachineText, frameTitle, TRUST_DESCRIPTIONS } from './text.js';
