// Vite builds the browser app (src/ui) into dist/ui: static files the `dumpkit ui` server serves,
// and serve.html, the pages `dumpkit serve` serves.
// Relative asset paths, so the app works under any prefix; no source maps of the core in the package.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: fileURLToPath(new URL('../../dist/ui', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 2048,
    // Two pages: the app (`dumpkit ui`) and the crash server's pages (`dumpkit serve`).
    rollupOptions: {
      input: {
        index: fileURLToPath(new URL('./index.html', import.meta.url)),
        serve: fileURLToPath(new URL('./serve.html', import.meta.url)),
      },
    },
  },
  worker: { format: 'es' },
  logLevel: 'warn',
});
