import { defineConfig } from 'vitest/config';

// Unit tests cover pure logic only (API client, time formatting, CSV, PKCE); the
// browser is exercised by the e2e suite in e2e/.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
