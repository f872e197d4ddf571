import { type MethodName, methods, RPC_ERRORS } from '../../../src/api/schemas.js'

/**
 * The rule for every answer of the daemon's API (JSON-RPC 2.0 and docs/API.md, "Errors"): HTTP 200 with
 * one response per request that is not a notification (204 when there is none), each with the request's
 * id (null when the request itself is invalid) and either a result that fits the method's schema or an
 * error with a documented code and a message. Which code follows from the request: -32700 for a body
 * that is not JSON, -32600 for an invalid request, -32601 for an unknown method, -32602 for params off
 * the method's schema (so no handler ran), else a result or -32000 with a documented swarmswap code.
 * -32603 (a bug in the daemon) is always a failure.
 */

/** The APP_ERROR codes docs/API.md lists. */
const DOCUMENTED_APP_CODES = new Set([
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'INSUFFICIENT_FUNDS',
  'TAKE_REFUSED',
  'TIMEOUT',
  'BAD_DATA',
  'RPC_UNREACHABLE',
  'RPC_ERROR',
  'TX_REJECTED',
  'CLOSED',
])

type Expectation =
  | { kind: 'none' }
  | { kind: 'error'; id: unknown; code: number }
  | { kind: 'call'; id: unknown; method: MethodName }

export interface AnswerCheck {
  /** Why the answer breaks the rule, or null. */
  broken: string | null
  /** Methods that were answered with a result (they ran, and may have changed something). */
  ran: MethodName[]
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

function expectationOf(request: unknown): Expectation {
  const invalid = { kind: 'error' as const, id: null, code: RPC_ERRORS.INVALID_REQUEST }
  if (!isObject(request) || request.jsonrpc !== '2.0' || typeof request.method !== 'string') return invalid
  const { id, method } = request
  if (!('id' in request)) return { kind: 'none' }
  if (!(typeof id === 'string' || Number.isFinite(id) || id === null)) return invalid
  if (!Object.hasOwn(methods, method)) return { kind: 'error', id, code: RPC_ERRORS.METHOD_NOT_FOUND }
  const name = method as MethodName
  // As the daemon reads them: absent or null params are no params.
  if (!methods[name].params.safeParse(request.params ?? {}).success) {
    return { kind: 'error', id, code: RPC_ERRORS.INVALID_PARAMS }
  }
  return { kind: 'call', id, method: name }
}

/** Why `response` does not answer as `expected` says, or null. */
function mismatch(response: unknown, expected: Exclude<Expectation, { kind: 'none' }>): string | null {
  if (!isObject(response) || response.jsonrpc !== '2.0') return 'not a JSON-RPC 2.0 response object'
  if (JSON.stringify(response.id) !== JSON.stringify(expected.id)) {
    return `id ${JSON.stringify(response.id)}, expected ${JSON.stringify(expected.id)}`
  }
  if ('result' in response === 'error' in response) return 'needs exactly one of result and error'
  if ('result' in response) {
    if (expected.kind !== 'call') return `a result where error ${expected.code} was due`
    const fits = methods[expected.method].result.safeParse(response.result).success
    return fits ? null : `${expected.method}: the result does not fit its schema`
  }
  const error = response.error
  if (!isObject(error) || typeof error.code !== 'number') return 'an error without a numeric code'
  if (typeof error.message !== 'string' || error.message.trim() === '') return 'an error without a message'
  if (error.code === RPC_ERRORS.INTERNAL_ERROR) return `internal error: ${error.message}`
  if (expected.kind === 'error') {
    return error.code === expected.code ? null : `error ${error.code}, expected ${expected.code}`
  }
  if (error.code !== RPC_ERRORS.APP_ERROR) return `error ${error.code} from ${expected.method}`
  const code = isObject(error.data) ? error.data.code : undefined
  return typeof code === 'string' && DOCUMENTED_APP_CODES.has(code)
    ? null
    : `${expected.method}: undocumented application error ${JSON.stringify(code)}`
}

/** Checks what the daemon answered (`status`, `text`) to the request `body`. */
export function checkAnswer(body: Uint8Array, status: number, text: string): AnswerCheck {
  const ran: MethodName[] = []
  let sent: unknown
  let expected: Array<Exclude<Expectation, { kind: 'none' }>>
  let batch = false
  try {
    // The daemon reads the body as UTF-8 (malformed sequences become U+FFFD) before JSON.parse.
    sent = JSON.parse(Buffer.from(body).toString('utf8'))
  } catch {
    sent = undefined
  }
  if (sent === undefined) {
    expected = [{ kind: 'error', id: null, code: RPC_ERRORS.PARSE_ERROR }]
  } else if (Array.isArray(sent) && sent.length > 0) {
    batch = true
    expected = sent.map(expectationOf).filter((e) => e.kind !== 'none')
  } else if (Array.isArray(sent)) {
    expected = [{ kind: 'error', id: null, code: RPC_ERRORS.INVALID_REQUEST }]
  } else {
    const one = expectationOf(sent)
    expected = one.kind === 'none' ? [] : [one]
  }

  const fail = (why: string): AnswerCheck => ({
    broken: `${why} (HTTP ${status}: ${text.slice(0, 200)})`,
    ran,
  })
  if (expected.length === 0)
    return status === 204 && text === '' ? { broken: null, ran } : fail('expected 204')
  if (status !== 200) return fail('expected HTTP 200')
  let answer: unknown
  try {
    answer = JSON.parse(text)
  } catch {
    return fail('the answer is not JSON')
  }
  const responses = batch ? answer : [answer]
  if (!Array.isArray(responses) || responses.length !== expected.length) {
    return fail(`expected ${expected.length} responses`)
  }
  // A batch may be answered in any order: pair each response with an unanswered request it fits.
  const open = [...expected]
  for (const response of responses) {
    const index = open.findIndex((e) => mismatch(response, e) === null)
    if (index === -1) {
      const nearest = open.find(
        (e) => JSON.stringify(e.id) === JSON.stringify(isObject(response) ? response.id : 0),
      )
      return fail(mismatch(response, nearest ?? (open[0] as (typeof open)[number])) ?? 'unpaired response')
    }
    const [matched] = open.splice(index, 1)
    if (matched?.kind === 'call' && isObject(response) && 'result' in response) ran.push(matched.method)
  }
  return { broken: null, ran }
}
