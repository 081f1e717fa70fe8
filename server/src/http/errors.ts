import { CodedError, ErrorCode } from '@tuan/shared';

/**
 * Domain errors carry a stable code and a readable message, never an HTTP status: the one
 * mapping from code to status lives in `error-status.ts`. They are shared's `CodedError`, so a rule
 * that lives in shared (`assertPayable`) fails the same way.
 */
export class DomainError extends CodedError {}

export class ValidationError extends DomainError {
  constructor(message: string, details?: unknown) {
    super(ErrorCode.VALIDATION_FAILED, message, details);
  }
}

export class NotFoundError extends DomainError {
  constructor(code: ErrorCode = ErrorCode.NOT_FOUND, message = 'Not found') {
    super(code, message);
  }
}

export class IllegalTransitionError extends DomainError {
  constructor(entity: string, from: string, to: string) {
    super(ErrorCode.ILLEGAL_TRANSITION, `${entity} cannot move from ${from} to ${to}`, { entity, from, to });
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(code: ErrorCode = ErrorCode.UNAUTHENTICATED, message = 'Authentication required') {
    super(code, message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = 'You are not allowed to do this') {
    super(ErrorCode.FORBIDDEN, message);
  }
}

export class RateLimitedError extends DomainError {
  /** `code`: a more specific 429 (e.g. PICKUP_CODE_RATE_LIMITED); Retry-After is set either way. */
  constructor(readonly retryAfterSec: number, code: ErrorCode = ErrorCode.RATE_LIMITED) {
    super(code, `Too many requests; retry in ${retryAfterSec}s`, { retryAfterSec });
  }
}

/** MySQL or Redis is unreachable: answer 503 fast, change nothing. */
export class ServiceUnavailableError extends DomainError {
  constructor(message = 'A backing service is unavailable; retry shortly') {
    super(ErrorCode.SERVICE_UNAVAILABLE, message);
  }
}
