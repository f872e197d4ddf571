import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'ava'
import { RegtestEnv } from '../../regtest/env.js'
import {
  type MethodName,
  methods,
  type NotificationName,
  notifications,
  RPC_ERRORS,
} from '../../src/api/schemas.js'
import { DaemonProcess } from './daemon-process.js'

/**
 * docs/API.md is the contract as people read it. Its examples are checked against the schemas of
 * src/api/schemas.ts, and sent, in the order they were made, to a live daemon on the regtest chains: each
 * live answer must be of the same kind (a result valid by the schema, or the same error).
 */

interface Example {
  section: string
  kind: 'request' | 'response' | 'notification'
  json: Record<string, unknown>
}

/** Every ```json request|response|notification block, with the `### \`name\`` section it is in. */
function examples(markdown: string): Example[] {
  const found: Example[] = []
  let section = ''
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? ''
    const heading = /^#{2,3} `?([^`]*)`?$/.exec(line)
    if (heading) section = heading[1] ?? ''
    const fence = /^```json (request|response|notification)$/.exec(line)
    if (!fence) continue
    const end = lines.indexOf('```', i + 1)
    found.push({
      section,
      kind: fence[1] as Example['kind'],
      json: JSON.parse(lines.slice(i + 1, end).join('\n')) as Record<string, unknown>,
    })
    i = end
  }
  return found
}

const doc = examples(await readFile(new URL('../../docs/API.md', import.meta.url), 'utf8'))
const isMethod = (name: string): name is MethodName => Object.hasOwn(methods, name)
const isNotification = (name: string): name is NotificationName => Object.hasOwn(notifications, name)
const RPC_CODES = new Set<number>(Object.values(RPC_ERRORS))

interface Pair {
  method: MethodName
  request: { jsonrpc: string; id: number; method: string; params: unknown }
  response: {
    id: unknown
    result?: unknown
    error?: { code: number; message: string; data?: { code?: string } }
  }
}

/** Requests with the response that follows each. */
function pairs(): Pair[] {
  const result: Pair[] = []
  doc.forEach((example, i) => {
    if (example.kind !== 'request') return
    const next = doc[i + 1]
    if (next?.kind !== 'response' || !isMethod(example.section))
      throw new Error(`request without a response in ${example.section}`)
    result.push({ method: example.section, request: example.json as never, response: next.json as never })
  })
  return result
}

test('every method and notification has a section with examples, and nothing else does', (t) => {
  const sections = new Set(
    doc.filter((e) => e.kind !== 'response' || e.section !== 'Errors').map((e) => e.section),
  )
  for (const name of Object.keys(methods)) {
    t.true(
      pairs().some((p) => p.method === name),
      `no request/response example of ${name}`,
    )
  }
  for (const name of Object.keys(notifications)) {
    t.true(
      doc.some((e) => e.kind === 'notification' && e.section === name),
      `no example of ${name}`,
    )
  }
  for (const section of sections)
    t.true(isMethod(section) || isNotification(section), `unknown section ${section}`)
})

test('every example request and response matches the schemas', (t) => {
  for (const { method, request, response } of pairs()) {
    t.is(request.jsonrpc, '2.0')
    t.is(request.method, method)
    t.is(response.id, request.id, `${method}: the response answers the request`)
    const params = methods[method].params.safeParse(request.params)
    if (response.error !== undefined) {
      t.true(RPC_CODES.has(response.error.code), `${method}: error code ${response.error.code}`)
      t.is(
        params.success,
        response.error.code !== RPC_ERRORS.INVALID_PARAMS,
        `${method}: params vs the error`,
      )
      if (response.error.code === RPC_ERRORS.APP_ERROR) t.is(typeof response.error.data?.code, 'string')
    } else {
      t.true(params.success, `${method}: ${JSON.stringify(request.params)}`)
      const result = methods[method].result.safeParse(response.result)
      t.true(result.success, `${method}: ${result.success ? '' : result.error.message}`)
    }
  }
  for (const example of doc.filter((e) => e.kind === 'notification')) {
    t.is(example.json.method, example.section)
    const schema = notifications[example.section as NotificationName]
    t.true(schema.safeParse(example.json.params).success, example.section)
  }
  for (const example of doc.filter((e) => e.section === 'Errors')) {
    t.true(RPC_CODES.has((example.json.error as { code: number }).code))
  }
})

/** Their examples need a swap with a second daemon; they are checked against the schemas only (api.test.ts runs them). */
const NEEDS_A_COUNTERPARTY = new Set<MethodName>(['orders.take', 'swaps.get', 'swaps.refund'])

test('the examples run against a live daemon give answers of the same kind', async (t) => {
  const env = new RegtestEnv({ ports: 'free' })
  const root = await mkdtemp(join(tmpdir(), 'swarmswap-api-doc-'))
  try {
    await env.ready()
    const password = join(root, 'password')
    await writeFile(password, 'pw\n')
    const datadir = join(root, 'daemon')
    const daemon = new DaemonProcess([
      ...['--endpoints', env.endpointsFile, '--datadir', datadir, '--api-port', '0'],
      ...['--password-file', password, '--print-words-to', join(root, 'words'), '--log-level', 'warn'],
    ])
    const api = await daemon.ready(datadir)
    // The funds the examples were made with.
    const info = await api.call('node.info')
    await env.control.fundBitcoin(info.bitcoin.receiveAddress, 150_000_000n)
    await env.control.fundEth(info.evm.address, 2n * 10n ** 18n)

    /** Ids in the examples -> the live daemon's ids of the same things. */
    const ids = new Map<string, string>()
    const substitute = (value: unknown) =>
      JSON.parse(JSON.stringify(value).replace(/[0-9a-f]{64}/g, (id) => ids.get(id) ?? id)) as unknown
    const runnable = pairs()
      .filter((p) => !NEEDS_A_COUNTERPARTY.has(p.method))
      .sort((a, b) => a.request.id - b.request.id)
    t.true(runnable.length >= 15)
    for (const { method, request, response } of runnable) {
      const live = (await api.post(substitute(request))).body as Pair['response']
      if (response.error !== undefined) {
        t.is(live.error?.code, response.error.code, `${method} ${JSON.stringify(live)}`)
        t.is(live.error?.data?.code, response.error.data?.code, method)
        continue
      }
      t.is(live.error, undefined, `${method}: ${JSON.stringify(live.error)}`)
      t.true(methods[method].result.safeParse(live.result).success, method)
      const exampleOrder = (response.result as { order?: { orderId: string } }).order
      const liveOrder = (live.result as { order?: { orderId: string } }).order
      if (exampleOrder && liveOrder) ids.set(exampleOrder.orderId, liveOrder.orderId)
    }
  } finally {
    DaemonProcess.killAll()
    await Promise.all(DaemonProcess.all.map((d) => d.exited))
    await env.close()
    await rm(root, { recursive: true, force: true })
  }
})
