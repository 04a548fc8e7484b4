// What the test stack (scripts/test.ts) hands every test file, with a clear error when run outside it.
import { randomBytes } from 'node:crypto';

export function testEnv(): { databaseUrl: string; temporalAddress: string } {
  const databaseUrl = process.env.DATABASE_URL;
  const temporalAddress = process.env.TEMPORAL_ADDRESS;
  if (!process.env.FLEETWAVE_TEST || !databaseUrl || !temporalAddress) {
    throw new Error(
      'integration tests run through `npm test` (scripts/test.ts), which provides Temporal and PostgreSQL',
    );
  }
  return { databaseUrl, temporalAddress };
}

/** A short unique suffix so tests sharing one database never see each other's rows. */
export function uid(prefix = 't'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
