import { isError } from 'ethers'
import { z } from 'zod'
import { SwarmswapError } from '../../errors.js'

/**
 * What a node's refusal of eth_sendRawTransaction means for the transaction:
 * - 'known': the node already has it (mempool), so the broadcast counts as done;
 * - 'nonce-used': its nonce is spent, by this very transaction (mined) or by another one: the caller
 *   looks the hash up to tell which;
 * - 'retry': refused for now (balance, fees, pool limits), the same bytes may be accepted later;
 * - 'dropped': refused for good (gas limit, chain id, signature), these bytes can never be mined;
 * - 'unknown': a message this table does not know.
 */
export type SendRefusal = 'known' | 'nonce-used' | 'retry' | 'dropped' | 'unknown'

/** Message patterns of anvil (tested against its actual messages) and geth, first match wins. */
const REFUSALS: [RegExp, SendRefusal][] = [
  [/already known|already imported|known transaction/i, 'known'],
  [/nonce too low|nonce has already been used/i, 'nonce-used'],
  [
    /insufficient funds|underpriced|fee too low|less than block base fee|txpool is full|nonce too high/i,
    'retry',
  ],
  [
    /intrinsic gas too (low|high)|exceeds block gas limit|invalid chain id|invalid sender|invalid signature|oversized data|priority fee per gas higher than max fee/i,
    'dropped',
  ],
]

export function classifySendRefusal(message: string): SendRefusal {
  return REFUSALS.find(([pattern]) => pattern.test(message))?.[1] ?? 'unknown'
}

const rpcErrorSchema = z.object({ code: z.number().int(), message: z.string() })
export type NodeRpcError = z.infer<typeof rpcErrorSchema>

/**
 * The JSON-RPC error object a node answered with, wherever ethers put it (`info.error` when ethers
 * recognised it, `error` when it could not); undefined when the failure was not an answer of the node.
 */
export function nodeRpcError(error: unknown): NodeRpcError | undefined {
  const wrapped = error as { info?: { error?: unknown }; error?: unknown } | null | undefined
  for (const candidate of [wrapped?.info?.error, wrapped?.error]) {
    const parsed = rpcErrorSchema.safeParse(candidate)
    if (parsed.success) return parsed.data
  }
  return undefined
}

/** Node.js socket errors and ethers' transport codes: the request never got an answer from the node. */
const TRANSPORT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'NETWORK_ERROR',
  'SERVER_ERROR',
  'TIMEOUT',
])

/** True when `error` is a transport failure (node down, connection reset, HTTP error, timeout). */
export function isTransportFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null | undefined)?.code
  return typeof code === 'string' && TRANSPORT_CODES.has(code)
}

/**
 * Maps a failed provider call to swarmswap's errors: transport failures to RPC_UNREACHABLE, node error
 * answers to RPC_ERROR (`details.rpcCode`); SwarmswapErrors and reverts (CALL_EXCEPTION, which the
 * caller decodes) are returned unchanged, as is anything else (a bug should surface as itself).
 */
export function toRpcFailure(error: unknown, action: string): unknown {
  if (error instanceof SwarmswapError || isError(error, 'CALL_EXCEPTION')) return error
  if (isTransportFailure(error)) {
    return new SwarmswapError('RPC_UNREACHABLE', `${action}: the EVM node did not answer`, { cause: error })
  }
  const rpc = nodeRpcError(error)
  if (rpc !== undefined) {
    return new SwarmswapError('RPC_ERROR', `${action}: ${rpc.message}`, {
      cause: error,
      details: { rpcCode: rpc.code },
    })
  }
  return error
}
