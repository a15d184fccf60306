// A worker request as view state: loading, its result, or its error (shown by ErrorBox).
import { useEffect, useState } from 'preact/hooks';
import { ViewerError } from '../worker/client.js';

export type Loaded<T> = { state: 'loading' } | { state: 'done'; value: T; ms: number } | { state: 'failed'; error: ViewerError };

export function useRequest<T>(run: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [s, set] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    let live = true;
    set({ state: 'loading' });
    const t0 = performance.now();
    run().then(
      (value) => live && set({ state: 'done', value, ms: performance.now() - t0 }),
      (e: unknown) => live && set({ state: 'failed', error: e instanceof ViewerError ? e : new ViewerError({ code: 'BUG', message: String(e) }) }),
    );
    return () => {
      live = false;
    };
  }, deps);
  return s;
}
