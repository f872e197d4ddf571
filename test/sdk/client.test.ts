import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test, { type ExecutionContext } from 'ava'
import { SwarmswapClient } from '../../src/sdk/client.js'
import { type ApiErrorCode, isSwarmswapApiError, SwarmswapApiError } from '../../src/sdk/errors.js'
import type { SwarmswapEvents } from '../../src/sdk/events.js'
import { errorFromRpc } from '../../src/sdk/rpc.js'
import { appError, FakeDaemon, result } from './fake-daemon.js'

const COOKIE = `__cookie__:${'5a'.repeat(32)}`

test('errorFromRpc keeps the daemon’s code and details, and names JSON-RPC’s own errors', (t) => {
  const cases: {
    error: Parameters<typeof errorFromRpc>[0]
    code: ApiErrorCode
    details: Record<string, unknown>
  }[] = [
    {
      error: { code: -32000, message: 'no such swap', data: { code: 'NOT_FOUND', details: { id: 'ab' } } },
      code: 'NOT_FOUND',
      details: { id: 'ab' },
    },
    {
      error: { code: -32000, message: 'refused', data: { code: 'TAKE_REFUSED' } },
      code: 'TAKE_REFUSED',
      details: {},
    },
    {
      error: { code: -32000, message: 'odd', data: { code: 'SOMETHING_NEW' } },
      code: 'INTERNAL_ERROR',
      details: { rpcCode: -32000, data: { code: 'SOMETHING_NEW' } },
    },
    { error: { code: -32602, message: 'bad params' }, code: 'INVALID_PARAMS', details: { rpcCode: -32602 } },
    { error: { code: -32601, message: 'no method' }, code: 'METHOD_NOT_FOUND', details: { rpcCode: -32601 } },
    { error: { code: -32700, message: 'parse' }, code: 'INVALID_REQUEST', details: { rpcCode: -32700 } },
    { error: { code: -32600, message: 'request' }, code: 'INVALID_REQUEST', details: { rpcCode: -32600 } },
    { error: { code: -32603, message: 'oops' }, code: 'INTERNAL_ERROR', details: { rpcCode: -32603 } },
  ]
  for (const { error, code, details } of cases) {
    const mapped = errorFromRpc(error)
    t.true(mapped instanceof SwarmswapApiError)
    t.is(mapped.code, code)
    t.is(mapped.message, error.message)
    t.deepEqual(mapped.details, details)
  }
})

async function withFake(
  t: { teardown(fn: () => Promise<void>): void },
  timeoutMs = 5000,
): Promise<{ fake: FakeDaemon; client: SwarmswapClient; url: string }> {
  const fake = new FakeDaemon()
  const url = await fake.listen()
  const client = new SwarmswapClient({ url, cookie: `${COOKIE}\n`, timeoutMs })
  t.teardown(async () => {
    await client.close()
    await fake.close()
  })
  return { fake, client, url }
}

async function apiError(t: ExecutionContext, promise: Promise<unknown>): Promise<SwarmswapApiError> {
  return (await t.throwsAsync(promise, { instanceOf: SwarmswapApiError })) as SwarmswapApiError
}

test('sends the cookie as HTTP Basic and returns the validated result', async (t) => {
  const { fake, client } = await withFake(t)
  fake.answer = () => result({ chain: 'evm', address: '0xabc' })
  t.is(await client.newAddress('evm'), '0xabc')
  t.deepEqual(fake.requests, [
    { method: 'wallet.newAddress', authorization: `Basic ${Buffer.from(COOKIE).toString('base64')}` },
  ])
})

test('a result off the schema is BAD_DATA, and money never arrives as a JSON number', async (t) => {
  const { fake, client } = await withFake(t)
  const amount = { asset: 'BTC', amount: 150000000, formatted: '1.5' } // a number where a string belongs
  fake.answer = () =>
    result({ balances: [{ asset: 'BTC', chain: 'bitcoin', confirmed: amount, unconfirmed: amount }] })
  const error = await apiError(t, client.balance())
  t.is(error.code, 'BAD_DATA')
  t.regex(error.message, /^wallet\.balance: unexpected result: balances\.0\.confirmed\.amount: /)
})

test('bad params are INVALID_PARAMS before anything is sent', async (t) => {
  const { fake, client } = await withFake(t)
  const error = await apiError(
    t,
    client.placeOrder({ base: 'BTC', quote: 'ETH', side: 'sell', amount: '1e3', price: '20' }),
  )
  t.is(error.code, 'INVALID_PARAMS')
  t.regex(error.message, /^orders\.place: amount: a positive decimal number such as "0\.5"$/)
  t.deepEqual(fake.requests, [])
})

test('HTTP refusals: 401/403 are UNAUTHORIZED with the daemon’s reason, others INVALID_REQUEST', async (t) => {
  const { fake, client } = await withFake(t)
  fake.answer = () => ({ status: 401, body: JSON.stringify({ error: 'missing or wrong credentials' }) })
  const unauthorized = await apiError(t, client.info())
  t.is(unauthorized.code, 'UNAUTHORIZED')
  t.is(unauthorized.message, 'the daemon refused the request (HTTP 401): missing or wrong credentials')
  fake.answer = () => ({ status: 403, body: 'no' })
  t.is((await apiError(t, client.info())).code, 'UNAUTHORIZED')
  fake.answer = () => ({ status: 413, body: JSON.stringify({ error: 'too big' }) })
  t.is((await apiError(t, client.info())).code, 'INVALID_REQUEST')
  fake.answer = () => ({ status: 200, body: '<html>' })
  t.is((await apiError(t, client.info())).code, 'BAD_DATA')
  fake.answer = () => ({ status: 200, body: JSON.stringify({ jsonrpc: '2.0', id: 1 }) })
  t.is((await apiError(t, client.info())).code, 'BAD_DATA')
})

test('an application error keeps the daemon’s code and details', async (t) => {
  const { fake, client } = await withFake(t)
  fake.answer = () => appError('the maker refused', { code: 'TAKE_REFUSED', details: { reason: 'gone' } })
  const error = await apiError(t, client.take('ab'.repeat(32)))
  t.true(isSwarmswapApiError(error, 'TAKE_REFUSED'))
  t.deepEqual(error.details, { reason: 'gone' })
})

test('a silent daemon is TIMEOUT; a closed port is UNREACHABLE', async (t) => {
  const { client } = await withFake(t, 300)
  t.is((await apiError(t, client.info())).code, 'TIMEOUT')
  const fake = new FakeDaemon()
  const url = await fake.listen()
  await fake.close()
  const nowhere = new SwarmswapClient({ url, cookie: COOKIE })
  t.is((await apiError(t, nowhere.info())).code, 'UNREACHABLE')
  await nowhere.close()
})

test('datadir: reads api.json and .cookie; missing files are UNREACHABLE, a bad api.json BAD_DATA', async (t) => {
  const { fake, url } = await withFake(t)
  fake.answer = () => result({ markets: [] })
  const datadir = await mkdtemp(join(tmpdir(), 'swarmswap-sdk-'))
  t.teardown(() => rm(datadir, { recursive: true, force: true }))
  const client = new SwarmswapClient({ datadir })
  t.teardown(() => client.close())

  const missing = await apiError(t, client.markets())
  t.is(missing.code, 'UNREACHABLE')
  t.is(missing.message, `cannot read ${join(datadir, 'api.json')}: is swarmswapd running on this data dir?`)

  await writeFile(join(datadir, 'api.json'), '{"pid": 1}')
  await writeFile(join(datadir, '.cookie'), COOKIE)
  t.is((await apiError(t, client.markets())).code, 'BAD_DATA')

  // A daemon started after the first failed call is found on the next one.
  await writeFile(join(datadir, 'api.json'), JSON.stringify({ url, pid: 1 }))
  t.deepEqual(await client.markets(), [])
})

test('events: typed notifications; invalid ones are error events; unknown ones are ignored', async (t) => {
  const { fake, client } = await withFake(t)
  const events: SwarmswapEvents = await client.events()
  t.is(await client.events(), events, 'one WebSocket per client')
  const errors: SwarmswapApiError[] = []
  events.on('error', (error) => errors.push(error))
  const changes: string[] = []
  events.on('orderbook.changed', ({ change, order }) => changes.push(`${change} ${order.orderId}`))

  const market = { network: 'regtest', base: 'BTC', quote: 'ETH', id: 'regtest:BTC/ETH' }
  const amount = { asset: 'BTC', amount: '10000000', formatted: '0.1' }
  const order = {
    orderId: 'cd'.repeat(32),
    market,
    side: 'sell',
    amount,
    remaining: amount,
    minFill: amount,
    price: '20',
    priceNum: '200000000000',
    priceDen: '1',
    maker: 'ef'.repeat(32),
    expiry: 1_795_000_000,
    own: false,
  }
  const received = new Promise((resolve) => events.once('orderbook.changed', resolve))
  fake.push(JSON.stringify({ jsonrpc: '2.0', method: 'node.somethingNew', params: {} }))
  fake.push('not json')
  fake.push(JSON.stringify({ jsonrpc: '2.0', method: 'swap.updated', params: { swap: { id: 'x' } } }))
  fake.push(
    JSON.stringify({
      jsonrpc: '2.0',
      method: 'orderbook.changed',
      params: { market, change: 'added', order },
    }),
  )
  await received
  t.deepEqual(changes, [`added ${order.orderId}`])
  t.deepEqual(
    errors.map((error) => error.code),
    ['BAD_DATA', 'BAD_DATA'],
  )

  const closed = new Promise<void>((resolve) => events.once('close', () => resolve()))
  await client.close()
  await closed
  t.true(events.closed)
})

test('waitForSwap: UNREACHABLE when the daemon goes away, TIMEOUT when nothing happens', async (t) => {
  const { fake, client } = await withFake(t)
  fake.answer = () => appError('no swap', { code: 'NOT_FOUND' })
  t.is((await apiError(t, client.waitForSwap('ab'.repeat(32)))).code, 'NOT_FOUND')

  fake.answer = () => null
  const waiting = client.waitForSwap('ab'.repeat(32), () => true, 200)
  t.is((await apiError(t, waiting)).code, 'TIMEOUT')

  const gone = client.waitForSwap('ab'.repeat(32), () => true, 10_000)
  await new Promise((resolve) => setTimeout(resolve, 50))
  await fake.close()
  t.is((await apiError(t, gone)).code, 'UNREACHABLE')
})

test('close() is safe twice, and a closed client refuses calls with CLOSED', async (t) => {
  const { client } = await withFake(t)
  await client.close()
  await client.close()
  t.is((await apiError(t, client.info())).code, 'CLOSED')
  t.is((await apiError(t, client.events())).code, 'CLOSED')
})
