export * from './analyze.js';
export * from './bugcheck-params.js';
export * from './crash-reason.js';
export * from './kernel-records.js';
export * from './signature.js';
export { formatAnalysis, frameText } from './format.js';
