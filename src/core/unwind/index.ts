export * from './types.js';
export { walkStack, frameLookupAddress, WALK_DEFAULTS, type WalkInput, type WalkLimits, type WalkArch } from './walker.js';
export { ModuleIndex } from './modules.js';
export { evaluateCfiExpression, evaluateCfiRules, evaluateWinProgram, parseCfiRuleText, POSTFIX_LIMITS } from './postfix.js';
