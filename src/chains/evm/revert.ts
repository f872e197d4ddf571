import { type Interface, isError } from 'ethers'
import { SwarmswapError } from '../../errors.js'

/** Revert data as a hex string, wherever ethers put it (estimateGas, call, or a mined failure). */
function revertData(error: unknown): string | undefined {
  if (isError(error, 'CALL_EXCEPTION') && typeof error.data === 'string') return error.data
  // Some node errors arrive wrapped (UNKNOWN_ERROR with the JSON-RPC error inside).
  const nested = (error as { error?: { data?: unknown } } | undefined)?.error?.data
  return typeof nested === 'string' ? nested : undefined
}

/**
 * Turns a failed contract call into CONTRACT_REVERT with `details.errorName` (the decoded custom error, or
 * 'unknown'); other failures are returned unchanged so the caller can rethrow them.
 */
export function decodeRevert(error: unknown, iface: Interface, action: string): unknown {
  if (error instanceof SwarmswapError) return error
  const data = revertData(error)
  if (data === undefined && !isError(error, 'CALL_EXCEPTION')) return error
  let errorName = 'unknown'
  if (data !== undefined && data.length >= 10) {
    errorName = iface.parseError(data)?.name ?? errorName
  }
  return new SwarmswapError('CONTRACT_REVERT', `${action} reverted: ${errorName}`, {
    cause: error,
    details: { errorName, data },
  })
}
