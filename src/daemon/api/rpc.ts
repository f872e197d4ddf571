import { z } from 'zod'
import { type MethodName, methods, RPC_ERRORS } from '../../api/schemas.js'
import { isSwarmswapError } from '../../errors.js'
import type { MethodHandlers } from '../methods.js'

type Id = string | number | null
interface RpcError {
  code: number
  message: string
  data?: unknown
}
export type RpcResponse =
  | { jsonrpc: '2.0'; id: Id; result: unknown }
  | { jsonrpc: '2.0'; id: Id; error: RpcError }

const requestSchema = z.object({
  jsonrpc: z.literal('2.0'),
  method: z.string(),
  params: z.unknown().optional(),
  id: z.union([z.string(), z.number(), z.null()]).optional(),
})

/**
 * JSON-RPC 2.0 over the method handlers: parse errors, invalid requests, unknown methods and params that
 * fail their schema are answered before any handler runs, so they change nothing. A SwarmswapError is
 * APP_ERROR with `data: { code, details }`; anything else is INTERNAL_ERROR (and goes to `onInternal`).
 * Returns the response (an array for a batch), or undefined when every request was a notification.
 */
export async function answerRpc(
  body: string,
  handlers: MethodHandlers,
  onInternal: (error: unknown, method: string) => void,
): Promise<RpcResponse | RpcResponse[] | undefined> {
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch (error) {
    return failure(null, RPC_ERRORS.PARSE_ERROR, `parse error: ${(error as Error).message}`)
  }
  if (!Array.isArray(json)) return await answerOne(json, handlers, onInternal)
  if (json.length === 0) return failure(null, RPC_ERRORS.INVALID_REQUEST, 'invalid request: empty batch')
  const answers = await Promise.all(json.map((request) => answerOne(request, handlers, onInternal)))
  const responses = answers.filter((a): a is RpcResponse => a !== undefined)
  return responses.length === 0 ? undefined : responses
}

async function answerOne(
  json: unknown,
  handlers: MethodHandlers,
  onInternal: (error: unknown, method: string) => void,
): Promise<RpcResponse | undefined> {
  const request = requestSchema.safeParse(json)
  if (!request.success) {
    return failure(
      null,
      RPC_ERRORS.INVALID_REQUEST,
      'invalid request: expected a JSON-RPC 2.0 request object',
      {
        issues: request.error.issues,
      },
    )
  }
  const { method, id } = request.data
  const answer = await run(method, request.data.params ?? {}, handlers, onInternal)
  // A request without an id is a notification: it runs, but gets no answer.
  if (id === undefined) return undefined
  return 'error' in answer
    ? { jsonrpc: '2.0', id, error: answer.error }
    : { jsonrpc: '2.0', id, result: answer.result }
}

async function run(
  method: string,
  rawParams: unknown,
  handlers: MethodHandlers,
  onInternal: (error: unknown, method: string) => void,
): Promise<{ result: unknown } | { error: RpcError }> {
  if (!Object.hasOwn(methods, method)) {
    return { error: { code: RPC_ERRORS.METHOD_NOT_FOUND, message: `method not found: ${method}` } }
  }
  const name = method as MethodName
  const params = methods[name].params.safeParse(rawParams)
  if (!params.success) {
    return {
      error: {
        code: RPC_ERRORS.INVALID_PARAMS,
        message: `invalid params: ${params.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ')}`,
        data: { issues: params.error.issues },
      },
    }
  }
  try {
    const handler = handlers[name] as (p: unknown) => Promise<unknown>
    // The daemon's half of the contract: a result off its schema is a bug here, not the caller's problem.
    return { result: methods[name].result.parse(await handler(params.data)) }
  } catch (error) {
    if (isSwarmswapError(error)) {
      return {
        error: {
          code: RPC_ERRORS.APP_ERROR,
          message: error.message,
          data: { code: error.code, details: jsonSafe(error.details) },
        },
      }
    }
    onInternal(error, method)
    return { error: { code: RPC_ERRORS.INTERNAL_ERROR, message: `internal error in ${method}` } }
  }
}

function failure(id: Id, code: number, message: string, data?: unknown): RpcResponse {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } }
}

/** Error details as plain JSON: bigints as decimal strings, bytes as hex. */
function jsonSafe(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_key, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v,
    ),
  )
}
