import type { z } from 'zod'
import type { ErrorCode } from '../errors.js'

/**
 * What went wrong talking to the daemon: the daemon's own SwarmswapError code (from the JSON-RPC error's
 * `data.code`), or one of the transport and protocol failures the client itself detects.
 */
export type ApiErrorCode =
  | ErrorCode
  /** The cookie was missing or wrong (HTTP 401/403). */
  | 'UNAUTHORIZED'
  /** The daemon could not be reached: not running, wrong URL, or no api.json / .cookie in the data dir. */
  | 'UNREACHABLE'
  /** The params were refused, by the client's own check or by the daemon (JSON-RPC -32602). */
  | 'INVALID_PARAMS'
  /** The daemon does not know the method (JSON-RPC -32601): an older or newer daemon. */
  | 'METHOD_NOT_FOUND'
  /** The daemon could not parse or accept the request (JSON-RPC -32700 / -32600). */
  | 'INVALID_REQUEST'
  /** The daemon failed without saying why (JSON-RPC -32603, or an unknown error code). */
  | 'INTERNAL_ERROR'

/** The one error type of the SDK. Branch on `code`; `details` carries the daemon's details when it sent any. */
export class SwarmswapApiError extends Error {
  readonly code: ApiErrorCode
  readonly details: Readonly<Record<string, unknown>>

  constructor(
    code: ApiErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'SwarmswapApiError'
    this.code = code
    this.details = options.details ?? {}
  }
}

/** Type guard; with `code`, also checks the error's code. */
export function isSwarmswapApiError(error: unknown, code?: ApiErrorCode): error is SwarmswapApiError {
  return error instanceof SwarmswapApiError && (code === undefined || error.code === code)
}

/** Validation issues on one line ("amount: a positive decimal number such as \"0.5\"; side: ..."). */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'value'}: ${issue.message}`).join('; ')
}
