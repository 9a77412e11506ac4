import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The SDK is tested from its TypeScript sources (clients/js/src), as the web app builds it.
const sdk = fileURLToPath(new URL('../js/src/index.ts', import.meta.url));

export default defineConfig({
  resolve: { alias: { '@parley/client': sdk } },
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    environment: 'happy-dom',
  },
});
