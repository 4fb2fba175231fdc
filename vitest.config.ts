// Projects: unit (no I/O, parallel), integration, security, conformance, stack, compose and e2e (real Temporal,
// Docker, databases; one file at a time so they do not fight over the 2 cores).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], globalSetup: ['test/support/prisma-client.global-setup.ts'] },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/temporal.global-setup.ts', 'test/integration/db/postgres.global-setup.ts'],
          setupFiles: ['test/support/quiet-temporal.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        // Hostile functions and hostile requests against the real engine, Temporal and database:
        // each test asserts what the host sees afterwards (test/security/README.md).
        test: {
          name: 'security',
          include: ['test/security/**/*.test.ts'],
          globalSetup: ['test/support/temporal.global-setup.ts'],
          setupFiles: ['test/support/quiet-temporal.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        // Functions written to each platform's documentation (Lambda, OpenWhisk, OpenFaaS) and
        // the output that platform documents, on the real stack.
        test: {
          name: 'conformance',
          include: ['test/conformance/**/*.test.ts'],
          globalSetup: ['test/support/temporal.global-setup.ts'],
          setupFiles: ['test/support/quiet-temporal.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        // The production topology (scripts/stack/stack.sh up: Temporal server on PostgreSQL, two
        // apis, two workers on two Docker engines): scale-out, a host killed, an api killed.
        test: {
          name: 'stack',
          include: ['test/stack/**/*.test.ts'],
          globalSetup: ['test/stack/stack.global-setup.ts'],
          setupFiles: ['test/support/quiet-temporal.ts'],
          testTimeout: 300_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
      {
        // docker-compose.yml brought up with Compose from the images scripts/compose/images.sh builds.
        test: {
          name: 'compose',
          include: ['test/compose/**/*.test.ts'],
          setupFiles: ['test/support/quiet-temporal.ts'],
          testTimeout: 600_000,
          hookTimeout: 1_800_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/temporal.global-setup.ts', 'test/integration/db/postgres.global-setup.ts'],
          setupFiles: ['test/support/quiet-temporal.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
