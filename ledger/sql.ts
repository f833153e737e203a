// Identifiers and lock keys. The schema name is spliced into SQL (identifiers cannot be bind
// parameters), so it is checked against a strict pattern first and then quoted.
import { createHash } from 'node:crypto';
import { z } from 'zod';

export const DEFAULT_SCHEMA = 'zero_touch';

export const schemaNameSchema = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be 1-63 lowercase letters, digits or "_", not starting with a digit')
  .refine((s) => !s.startsWith('pg_'), 'names starting with pg_ are reserved by PostgreSQL');

export function quoteIdent(name: string): string {
  return `"${schemaNameSchema.parse(name)}"`;
}

/** Advisory lock namespaces ("ZT" + a number), so our keys do not collide with another application's. */
export const LOCK_MIGRATE = 0x5a540001;
export const LOCK_APPEND = 0x5a540002;

/** The second half of an advisory lock key: one lock per schema, so test schemas do not wait on each other. */
export function schemaLockKey(schema: string): number {
  return createHash('sha256').update(schema).digest().readInt32BE(0);
}
