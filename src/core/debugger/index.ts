// The debugger engine: WinDbg commands over any dump the core reads (docs/debugger.md).
export { DebuggerEngine, type DebugTarget, type UnitRead } from './engine.js';
export type { CommandResult, DebuggerHost, CommandContext } from './types.js';
export { capstoneDisassembler, type CapstoneModule, type Disassembler, type Instruction } from './disassembler.js';
export { evaluate, evaluatePrefix, parseNumber, type ExpressionContext } from './expression.js';
export { commandNames, type Command } from './commands/index.js';
export { kernelBanner } from './kernel-target.js';
