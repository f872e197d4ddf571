/**
 * The one error type of swarmswap. Every failure a caller may want to handle carries a string `code`
 * (modelled on ethers v6), so callers branch on `isSwarmswapError(e, 'TX_REJECTED')` rather than on
 * message text. Add a code here when a new kind of failure needs a distinct reaction.
 */
export type ErrorCode =
  /** Bad input from a caller, a config file, the CLI or the wire. Nothing was changed. */
  | 'INVALID_ARGUMENT'
  /** Data from a chain node or peer failed validation (wrong shape, impossible values). */
  | 'BAD_DATA'
  /** A chain node could not be reached or answered with a transport-level failure. */
  | 'RPC_UNREACHABLE'
  /** A chain node rejected the credentials. */
  | 'RPC_AUTH'
  /** A chain node answered a JSON-RPC call with an error; `details.rpcCode` holds its number. */
  | 'RPC_ERROR'
  /** A transaction was refused by the node (consensus or policy); `details.reason` says why. */
  | 'TX_REJECTED'
  /** A transaction is already in the chain (Bitcoin Core -27). */
  | 'TX_ALREADY_IN_CHAIN'
  /** An EVM call or transaction reverted; `details.errorName` holds the decoded custom error. */
  | 'CONTRACT_REVERT'
  /** The wallet cannot pay for what was asked. */
  | 'INSUFFICIENT_FUNDS'
  /** An on-chain HTLC does not match the expected terms; `details.field` names the first mismatch. */
  | 'AUDIT_FAILED'
  /** Something looked up does not exist (yet). */
  | 'NOT_FOUND'
  /** An operation did not finish in time. */
  | 'TIMEOUT'
  /** A maker refused a take request; `details.reason` holds its reason code (e.g. 'amount-above-remaining'). */
  | 'TAKE_REFUSED'
  /** A child process (chain node) failed to start or died. */
  | 'PROCESS_FAILED'
  /** Used after close(), or before ready(). */
  | 'CLOSED'
  /** A bug: a state the code believes impossible. */
  | 'INTERNAL'

export class SwarmswapError extends Error {
  readonly code: ErrorCode
  readonly details: Readonly<Record<string, unknown>>

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'SwarmswapError'
    this.code = code
    this.details = options.details ?? {}
  }
}

/** Type guard; with `code`, also checks the error's code. */
export function isSwarmswapError(error: unknown, code?: ErrorCode): error is SwarmswapError {
  return error instanceof SwarmswapError && (code === undefined || error.code === code)
}
