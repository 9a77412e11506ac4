import { defineConfig } from 'vitest/config';

// Unit tests of the web app's plain modules (the operator console's metrics arithmetic).
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
