// Terminal activity errors: retrying cannot fix them, so the workflow lists them as non-retryable.
export { UnknownServiceError } from '../config/services';

export class InvalidRequestError extends Error {
  override name = 'InvalidRequestError';
}
