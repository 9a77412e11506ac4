import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The SDK and its React bindings are compiled from their TypeScript sources (clients/js/src,
// clients/react/src): no separate build step. React itself is always the app's own copy, also
// for the bindings' imports (two copies of React break hooks).
const sdk = fileURLToPath(new URL('../clients/js/src/index.ts', import.meta.url));
const bindings = fileURLToPath(new URL('../clients/react/src/index.ts', import.meta.url));
// Two pages: the chat (index.html, at /) and the operator console (admin/index.html, at /admin).
const page = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  plugins: [react()],
  resolve: { alias: { '@parley/client': sdk, '@parley/react': bindings }, dedupe: ['react', 'react-dom'] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2020',
    rolldownOptions: {
      input: { index: page('index.html'), admin: page('admin/index.html') },
      // The one chunk that is no page's own: what both share (React, styles.css, helpers).
      output: { chunkFileNames: 'assets/shared-[hash].js' },
    },
  },
  server: {
    // `npm run dev` (optional): proxy the API and WebSocket to a parleyd on :8080 (and the
    // health and metrics routes the console reads).
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/healthz': 'http://127.0.0.1:8080',
      '/readyz': 'http://127.0.0.1:8080',
      '/metrics': 'http://127.0.0.1:8080',
      '/ws': { target: 'ws://127.0.0.1:8080', ws: true },
    },
  },
});
