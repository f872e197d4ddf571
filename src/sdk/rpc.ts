import { z } from 'zod'
import { RPC_ERRORS } from '../api/schemas.js'
import type { ErrorCode } from '../errors.js'
import type { Connection } from './connection.js'
import { type ApiErrorCode, SwarmswapApiError } from './errors.js'

/** Every code the daemon's SwarmswapError may carry; anything else in `data.code` is INTERNAL_ERROR. */
const DAEMON_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'INVALID_ARGUMENT',
  'BAD_DATA',
  'RPC_UNREACHABLE',
  'RPC_AUTH',
  'RPC_ERROR',
  'TX_REJECTED',
  'TX_ALREADY_IN_CHAIN',
  'CONTRACT_REVERT',
  'INSUFFICIENT_FUNDS',
  'AUDIT_FAILED',
  'NOT_FOUND',
  'TIMEOUT',
  'TAKE_REFUSED',
  'PROCESS_FAILED',
  'CLOSED',
  'INTERNAL',
])

const rpcErrorSchema = z.object({
  code: z.number().int(),
  message: z.string(),
  data: z.unknown().optional(),
})
const responseSchema = z.union([
  z.object({ jsonrpc: z.literal('2.0'), id: z.unknown(), result: z.unknown() }),
  z.object({ jsonrpc: z.literal('2.0'), id: z.unknown(), error: rpcErrorSchema }),
])
const refusalBody = z.object({ error: z.string() })
const appErrorData = z.object({ code: z.string(), details: z.record(z.string(), z.unknown()).optional() })

export type RpcErrorObject = z.infer<typeof rpcErrorSchema>

let nextId = 1

/** POSTs one JSON-RPC 2.0 request and returns its `result` (not yet validated), or throws SwarmswapApiError. */
export async function postJsonRpc(
  connection: Connection,
  method: string,
  params: unknown,
  timeoutMs: number,
): Promise<unknown> {
  const id = nextId++
  let response: Response
  try {
    response = await fetch(connection.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: connection.authorization },
      body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (error) {
    if (error instanceof DOMException && error.name === 'TimeoutError') {
      throw new SwarmswapApiError('TIMEOUT', `${method}: no answer from the daemon in ${timeoutMs} ms`)
    }
    throw new SwarmswapApiError('UNREACHABLE', `cannot reach swarmswapd at ${connection.url.origin}`, {
      cause: error,
    })
  }
  const body = await readJson(response)
  if (response.status !== 200) throw refusal(response.status, body)
  if (body === undefined) {
    throw new SwarmswapApiError(
      'BAD_DATA',
      `${method}: the daemon answered HTTP ${response.status}, not JSON`,
    )
  }
  const parsed = responseSchema.safeParse(body)
  if (!parsed.success) {
    throw new SwarmswapApiError(
      'BAD_DATA',
      `${method}: not a JSON-RPC 2.0 response (HTTP ${response.status})`,
    )
  }
  if ('error' in parsed.data) throw errorFromRpc(parsed.data.error)
  return parsed.data.result
}

/** The SDK error for a JSON-RPC error object: application errors keep the daemon's code and details. */
export function errorFromRpc(error: RpcErrorObject): SwarmswapApiError {
  const app = appErrorData.safeParse(error.data)
  if (app.success && DAEMON_CODES.has(app.data.code)) {
    return new SwarmswapApiError(app.data.code as ErrorCode, error.message, { details: app.data.details })
  }
  const details = error.data === undefined ? {} : { data: error.data }
  return new SwarmswapApiError(codeOfRpcError(error.code), error.message, {
    details: { rpcCode: error.code, ...details },
  })
}

function codeOfRpcError(code: number): ApiErrorCode {
  switch (code) {
    case RPC_ERRORS.INVALID_PARAMS:
      return 'INVALID_PARAMS'
    case RPC_ERRORS.METHOD_NOT_FOUND:
      return 'METHOD_NOT_FOUND'
    case RPC_ERRORS.PARSE_ERROR:
    case RPC_ERRORS.INVALID_REQUEST:
      return 'INVALID_REQUEST'
    default:
      return 'INTERNAL_ERROR'
  }
}

/** The daemon refuses before running anything with a non-200 status and `{ error: <reason> }`. */
function refusal(status: number, body: unknown): SwarmswapApiError {
  const reason = refusalBody.safeParse(body)
  const why = reason.success ? `: ${reason.data.error}` : ''
  if (status === 401 || status === 403) {
    return new SwarmswapApiError('UNAUTHORIZED', `the daemon refused the request (HTTP ${status})${why}`)
  }
  return new SwarmswapApiError('INVALID_REQUEST', `the daemon refused the request (HTTP ${status})${why}`)
}

/** The body as JSON, or undefined when it is not JSON. */
async function readJson(response: Response): Promise<unknown> {
  try {
    return JSON.parse(await response.text())
  } catch {
    return undefined
  }
}
