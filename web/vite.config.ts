/// <reference types="vitest/config" />
import { defineConfig } from 'vite';

// JSX through esbuild's own transform (no plugin): Preact's automatic runtime.
// `npm run dev` proxies the API to a running controller (ODIN_API, default
// http://127.0.0.1:8080) so the page and the API share an origin, as they do
// when the controller serves the build (--web-root web/dist).
export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1000 },
  server: {
    proxy: {
      '/api': { target: process.env.ODIN_API ?? 'http://127.0.0.1:8080', changeOrigin: true },
    },
  },
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
});
