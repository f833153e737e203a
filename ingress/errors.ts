// Every refusal the ingress sends has one JSON shape, `{ error, message, issues? }`: `error` is a
// stable code a script can branch on, `message` says in words what is wrong and which field.
import type { FastifyRequest } from 'fastify';
import { PayloadValidationError, type PayloadIssue } from './validation';

export type IngressErrorCode =
  | 'invalid_json'
  | 'invalid_payload'
  | 'unknown_service'
  | 'unauthorized'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unavailable'
  | 'not_found'
  | 'bad_request'
  | 'internal_error';

export interface ErrorBody {
  error: IngressErrorCode;
  message: string;
  issues?: PayloadIssue[];
}

export class IngressError extends Error {
  override name = 'IngressError';

  constructor(
    readonly statusCode: number,
    readonly code: IngressErrorCode,
    message: string,
    readonly issues?: PayloadIssue[],
    /** Extra response headers, e.g. `WWW-Authenticate` on a 401. */
    readonly headers: Record<string, string> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  get body(): ErrorBody {
    const body: ErrorBody = { error: this.code, message: this.message };
    if (this.issues) body.issues = this.issues;
    return body;
  }
}

function fastifyCodeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function clientStatusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

/**
 * Maps whatever reached the error handler to our shape. Fastify raises its own errors for the body
 * limit and malformed requests (e.g. a wrong content-length) before any route code runs; they are
 * translated here.
 */
export function toIngressError(error: unknown, request: FastifyRequest): IngressError {
  if (error instanceof IngressError) return error;
  if (error instanceof PayloadValidationError) {
    return new IngressError(400, 'invalid_payload', error.message, error.issues);
  }
  const fastifyCode = fastifyCodeOf(error);
  if (fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new IngressError(
      413,
      'payload_too_large',
      `request body exceeds the limit of ${request.routeOptions.bodyLimit} bytes (http.bodyLimitBytes)`,
    );
  }
  if (fastifyCode === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    const contentType = request.headers['content-type'] ?? '';
    return new IngressError(415, 'unsupported_media_type', `content-type "${contentType}" is not accepted`);
  }
  const status = clientStatusOf(error);
  if (status !== undefined) return new IngressError(status, 'bad_request', (error as Error).message);
  return new IngressError(500, 'internal_error', 'internal error; see the ingress log', undefined, {}, { cause: error });
}
