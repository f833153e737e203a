// Webhook bodies are JSON and nothing else. Fastify's stock parsers accept text/plain too and answer
// bad JSON with a generic message, so the hooks scope swaps them for these: a media-type check before
// the body is read (415), and a parser whose 400 says where the JSON broke.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import { IngressError } from './errors';

export function mediaTypeOf(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase() || undefined;
}

export async function requireJsonContentType(request: FastifyRequest): Promise<void> {
  const mediaType = mediaTypeOf(request.headers['content-type']);
  if (mediaType === 'application/json') return;
  throw new IngressError(
    415,
    'unsupported_media_type',
    mediaType
      ? `content-type must be application/json, got "${mediaType}"`
      : 'content-type header is missing; send the body as application/json',
  );
}

/**
 * JSON.parse lets `__proto__` through as an own key, and zod copies record keys by assignment, which
 * would set a prototype; such bodies are refused like fastify's default parser does, with the same
 * library. It scans for the two keys only when the text contains them, so the common case costs one
 * plain JSON.parse (a reviver would cost a call per key on every webhook).
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw new IngressError(400, 'invalid_json', 'request body is empty; expected a JSON object');
  try {
    return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    const message = /forbidden prototype property/.test((err as Error).message)
      ? `${text.includes('"__proto__"') ? '"__proto__"' : '"constructor.prototype"'} is not allowed as a key`
      : (err as Error).message;
    throw new IngressError(400, 'invalid_json', `request body is not valid JSON: ${message}`);
  }
}

/** Checks the raw body before it is parsed (e.g. a signature over the exact bytes); throws to refuse. */
export type RawBodyCheck = (request: FastifyRequest, rawBody: Buffer) => void;

/**
 * Replaces the scope's body parsers with the JSON one. The body is read as bytes so a `check` sees
 * exactly what the sender signed; an encapsulated child scope may call this again with its own check.
 */
export function parseJsonBodies(scope: FastifyInstance, check?: RawBodyCheck): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      const raw = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      check?.(request, raw);
      done(null, parseJsonBody(raw.toString('utf8')));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

/** Installs the JSON-only body handling in one (encapsulated) fastify scope. */
export function acceptJsonBodiesOnly(scope: FastifyInstance): void {
  parseJsonBodies(scope);
  scope.addHook('onRequest', requireJsonContentType);
}
