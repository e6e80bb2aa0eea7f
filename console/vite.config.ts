import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The web console: a single-page app built into static files (console/dist) that the api serves
 * under /console (src/api/console/). Preact through esbuild's automatic JSX runtime (no plugin
 * needed); hashed file names, so the api can cache them for good.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    // The console budget is 300 KB of JavaScript gzipped; say so well before it.
    chunkSizeWarningLimit: 250,
  },
  // `npm run console:dev`: hot reload, with the API (HTTP and WebSocket) of a running server.
  server: {
    proxy: {
      '/graphql': { target: process.env.CONSOLE_API_URL ?? 'http://127.0.0.1:4000', ws: true },
    },
  },
  logLevel: 'warn',
});
