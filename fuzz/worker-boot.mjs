// Worker threads do not get the main thread's `--import tsx`: register tsx here, then run the worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
