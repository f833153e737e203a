// Bearer-token authentication for webhooks. Both tokens are hashed before the constant-time compare:
// timingSafeEqual needs equal lengths, and comparing lengths first would leak the token's length.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { IngressError } from './errors';

const CHALLENGE = { 'www-authenticate': 'Bearer realm="zero-touch"' };

/** The token of an `Authorization: Bearer <token>` header, or undefined when there is none. */
export function bearerTokenOf(header: string | undefined): string | undefined {
  const token = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim();
  return token || undefined;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function tokensMatch(presented: string, expected: string): boolean {
  return timingSafeEqual(sha256(presented), sha256(expected));
}

/** An onRequest hook: runs before the body is read, so unauthenticated senders cost us no parsing. */
export function requireBearerToken(expected: string): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    const presented = bearerTokenOf(request.headers.authorization);
    if (presented === undefined) throw new IngressError(401, 'unauthorized', 'missing bearer token', undefined, CHALLENGE);
    if (!tokensMatch(presented, expected)) {
      throw new IngressError(401, 'unauthorized', 'invalid bearer token', undefined, CHALLENGE);
    }
  };
}
