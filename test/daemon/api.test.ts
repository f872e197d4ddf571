import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'ava'
import WebSocket from 'ws'
import { RegtestEnv } from '../../regtest/env.js'
import { RPC_ERRORS } from '../../src/api/schemas.js'
import { type ApiClient, DaemonProcess } from './daemon-process.js'

/**
 * swarmswapd as users run it: the real binary as a child process against a regtest environment on free
 * ports, spoken to over its HTTP and WebSocket API with the cookie it wrote.
 */

const env = new RegtestEnv({ ports: 'free' })
let root = ''
let passwordFile = ''
const daemons: Record<'alice' | 'bob', { process: DaemonProcess; api: ApiClient; datadir: string }> =
  {} as never

function argsFor(datadir: string, extra: string[] = []): string[] {
  return [
    '--endpoints',
    env.endpointsFile,
    '--datadir',
    datadir,
    '--api-port',
    '0',
    '--password-file',
    passwordFile,
    '--log-level',
    'warn',
    ...extra,
  ]
}

async function startDaemon(name: 'alice' | 'bob', extra: string[] = []) {
  const datadir = join(root, name)
  const process = new DaemonProcess(argsFor(datadir, extra))
  daemons[name] = { process, api: await process.ready(datadir), datadir }
  return daemons[name]
}

test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'swarmswap-daemon-'))
  passwordFile = join(root, 'password')
  await writeFile(passwordFile, 'correct horse battery staple\n', { mode: 0o600 })
  await env.ready()
  await Promise.all([
    startDaemon('alice', ['--print-words-to', join(root, 'alice-words')]),
    startDaemon('bob', ['--print-words-to', join(root, 'bob-words')]),
  ])
})

test.after.always(async () => {
  DaemonProcess.killAll()
  await Promise.all(DaemonProcess.all.map((d) => d.exited))
  await env.close()
  if (root) await rm(root, { recursive: true, force: true })
})

const mode = async (path: string) => (await stat(path)).mode & 0o777

test.serial(
  'the seed is stored encrypted, secrets are 0600, the backup words were written once',
  async (t) => {
    const { datadir } = daemons.alice
    const words = (await readFile(join(root, 'alice-words'), 'utf8')).trim().split(' ')
    t.is(words.length, 24)
    const seed = await readFile(join(datadir, 'seed.json'), 'utf8')
    for (const word of new Set(words))
      t.false(new RegExp(`\\b${word}\\b`).test(seed), `"${word}" is in seed.json`)
    const parsed = JSON.parse(seed) as { kdf: { name: string; N: number }; cipher: { name: string } }
    t.is(parsed.kdf.name, 'scrypt')
    t.true(parsed.kdf.N >= 2 ** 17)
    t.is(parsed.cipher.name, 'aes-256-gcm')
    for (const file of ['seed.json', '.cookie']) t.is(await mode(join(datadir, file)), 0o600, file)
    t.is(await mode(join(root, 'alice-words')), 0o600)
    t.regex(await readFile(join(datadir, '.cookie'), 'utf8'), /^__cookie__:[0-9a-f]{64}$/)
    t.notRegex(daemons.alice.process.stderr, new RegExp(words.join(' ')), 'the words are not logged')
  },
)

test.serial('a second daemon on the same data dir is refused and changes nothing', async (t) => {
  const { datadir, api } = daemons.alice
  const cookie = await readFile(join(datadir, '.cookie'), 'utf8')
  const { code, stderr } = await DaemonProcess.run(argsFor(datadir))
  t.is(code, 1)
  t.regex(stderr, /^swarmswapd: another swarmswapd \(pid \d+\) is using this data dir .*\n$/)
  t.is(await readFile(join(datadir, '.cookie'), 'utf8'), cookie)
  t.is((await api.call('node.info')).network, 'regtest')
})

/** One HTTP request with exactly these headers (fetch would not let a test send a foreign Host). */
function raw(
  api: ApiClient,
  options: { headers?: Record<string, string>; body?: string; path?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: api.port,
        method: 'POST',
        path: options.path ?? '/',
        headers: options.headers,
      },
      (res) => {
        let body = ''
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString()
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

test.serial(
  'requests without the cookie, from a foreign Host or any Origin, or too big are refused and change nothing',
  async (t) => {
    const { api } = daemons.alice
    const join = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'markets.join',
      params: { base: 'BTC', quote: 'ETH' },
    })
    const host = `127.0.0.1:${api.port}`
    const good = { host, authorization: api.authorization, 'content-type': 'application/json' }
    const wrongCookie = `Basic ${Buffer.from(`__cookie__:${'0'.repeat(64)}`).toString('base64')}`
    const cases: [string, Record<string, string>, number, string?][] = [
      ['no credentials', { host }, 401],
      ['a wrong cookie', { ...good, authorization: wrongCookie }, 401],
      [
        'another user name',
        {
          ...good,
          authorization: `Basic ${Buffer.from(`x:${api.cookie.split(':')[1]}`).toString('base64')}`,
        },
        401,
      ],
      ['a foreign Host', { ...good, host: `evil.example:${api.port}` }, 403],
      ['the right host on another port', { ...good, host: `127.0.0.1:${api.port + 1}` }, 403],
      ['an Origin', { ...good, origin: 'http://localhost' }, 403],
      ['an Origin of the page itself', { ...good, origin: `http://127.0.0.1:${api.port}` }, 403],
    ]
    for (const [what, headers, status] of cases) {
      const answer = await raw(api, { headers, body: join })
      t.is(answer.status, status, what)
      t.notRegex(answer.body, /result/, what)
    }
    const big = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'markets.join',
      params: { base: 'BTC', quote: 'ETH', pad: 'x'.repeat(1024 * 1024) },
    })
    t.is((await raw(api, { headers: good, body: big })).status, 413, 'oversized body')
    t.is(
      (await raw(api, { headers: { ...good, 'transfer-encoding': 'chunked' }, body: big })).status,
      413,
      'oversized chunked body',
    )
    t.deepEqual((await api.call('markets.list')).markets, [], 'nothing was joined')
  },
)

test.serial(
  'bad JSON, bad params and unknown methods get their JSON-RPC errors and change nothing',
  async (t) => {
    const { api } = daemons.alice
    const parse = await api.post('{"jsonrpc":"2.0", "id": 1, "method": "markets.join",')
    t.is(parse.status, 200)
    t.like(parse.body, { jsonrpc: '2.0', id: null, error: { code: RPC_ERRORS.PARSE_ERROR } })

    const badParams = await api.post({
      jsonrpc: '2.0',
      id: 2,
      method: 'markets.join',
      params: { base: 'BTC', quote: 'DOGE' },
    })
    t.like(badParams.body, { id: 2, error: { code: RPC_ERRORS.INVALID_PARAMS } })
    const issues = (badParams.body as { error: { data: { issues: { path: string[] }[] } } }).error.data.issues
    t.deepEqual(issues[0]?.path, ['quote'])

    const extra = await api.post({
      jsonrpc: '2.0',
      id: 3,
      method: 'markets.join',
      params: { base: 'BTC', quote: 'ETH', x: 1 },
    })
    t.like(extra.body, { id: 3, error: { code: RPC_ERRORS.INVALID_PARAMS } })

    const unknown = await api.post({ jsonrpc: '2.0', id: 4, method: 'wallet.drain', params: {} })
    t.like(unknown.body, { id: 4, error: { code: RPC_ERRORS.METHOD_NOT_FOUND } })

    const notRpc = await api.post({ id: 5, method: 'markets.join' })
    t.like(notRpc.body, { error: { code: RPC_ERRORS.INVALID_REQUEST } })

    const app = await api.post({
      jsonrpc: '2.0',
      id: 6,
      method: 'swaps.get',
      params: { id: 'ab'.repeat(32) },
    })
    t.like(app.body, { id: 6, error: { code: RPC_ERRORS.APP_ERROR, data: { code: 'NOT_FOUND' } } })

    t.deepEqual((await api.call('markets.list')).markets, [], 'nothing was joined')
  },
)

test.serial('the WebSocket refuses connections without the cookie or with an Origin', async (t) => {
  const { api } = daemons.alice
  const url = `${api.url.replace('http', 'ws')}/ws`
  const refusal = (headers: Record<string, string>) =>
    new Promise<number>((resolve) => {
      const socket = new WebSocket(url, { headers })
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      socket.on('open', () => {
        socket.close()
        resolve(101)
      })
      socket.on('error', () => {})
    })
  t.is(await refusal({}), 401)
  t.is(await refusal({ authorization: api.authorization, origin: 'http://evil.example' }), 403)
  t.is(await refusal({ authorization: api.authorization }), 101)
})

test.serial('node.info, wallet.balance after funding, markets.join, orders.place/list/cancel', async (t) => {
  const { api } = daemons.alice
  const info = await api.call('node.info')
  t.is(info.network, 'regtest')
  t.is(info.apiVersion, 1)
  t.is(info.evm.chainId, env.endpoints.evm.chainId)
  t.is(info.evm.htlcAddress, env.endpoints.evm.htlcAddress)
  await env.control.fundBitcoin(info.bitcoin.receiveAddress, 150_000_000n)
  await env.control.fundEth(info.evm.address, 3n * 10n ** 18n)
  const balances = (await api.call('wallet.balance')).balances
  t.like(
    balances.find((b) => b.asset === 'BTC'),
    { confirmed: { amount: '150000000', formatted: '1.5' } },
  )
  t.like(
    balances.find((b) => b.asset === 'ETH'),
    { confirmed: { amount: '3000000000000000000', formatted: '3' } },
  )

  const joined = await api.call('markets.join', { base: 'BTC', quote: 'ETH' })
  t.is(joined.market.id, 'regtest:BTC/ETH')
  t.deepEqual((await api.call('markets.list')).markets, [joined.market])

  const { order } = await api.call('orders.place', {
    base: 'BTC',
    quote: 'ETH',
    side: 'sell',
    amount: '0.5',
    price: '20.5',
    minFill: '.1',
  })
  t.like(order, {
    side: 'sell',
    amount: { asset: 'BTC', amount: '50000000', formatted: '0.5' },
    minFill: { amount: '10000000' },
    price: '20.5',
    // 20.5 ETH per BTC = 20.5e18 wei per 1e8 sat = 205e9 wei per sat.
    priceNum: '205000000000',
    priceDen: '1',
    own: true,
  })
  t.deepEqual((await api.call('orders.list')).orders, [order])
  const book = await api.call('orderbook.get', { base: 'BTC', quote: 'ETH' })
  t.deepEqual(book.asks, [order])
  t.deepEqual(book.depth.asks, [{ price: '20.5', amount: order.amount, orders: 1 }])

  await t.throwsAsync(
    api.call('orders.place', { base: 'BTC', quote: 'ETH', side: 'sell', amount: '2', price: '1' }),
    {
      message: /not enough BTC/,
    },
  )
  await t.throwsAsync(
    api.call('orders.place', { base: 'BTC', quote: 'ETH', side: 'sell', amount: '0.000000001', price: '1' }),
    {
      message: /at most 8 decimals/,
    },
  )
  t.deepEqual(await api.call('orders.cancel', { orderId: order.orderId }), { orderId: order.orderId })
  t.deepEqual((await api.call('orders.list')).orders, [])
  const again = await t.throwsAsync(api.call('orders.cancel', { orderId: order.orderId }))
  t.like(again, { code: RPC_ERRORS.APP_ERROR, data: { code: 'NOT_FOUND' } })
})

test.serial(
  'two daemons trade: book and swap notifications on the WebSocket, the swap completes',
  async (t) => {
    const alice = daemons.alice.api
    const bob = daemons.bob.api
    const bobInfo = await bob.call('node.info')
    await env.control.fundEth(bobInfo.evm.address, 5n * 10n ** 18n)
    const [aliceEvents, bobEvents] = await Promise.all([alice.subscribe(), bob.subscribe()])
    try {
      await bob.call('markets.join', { base: 'BTC', quote: 'ETH' })
      const { order } = await alice.call('orders.place', {
        base: 'BTC',
        quote: 'ETH',
        side: 'sell',
        amount: '0.2',
        price: '20',
        minFill: '0.1',
      })
      const seen = await bobEvents.waitFor(
        (n) =>
          n.method === 'orderbook.changed' &&
          (n.params.order as { orderId: string }).orderId === order.orderId,
      )
      t.like(seen.params, {
        change: 'added',
        order: { own: false, price: '20', remaining: { formatted: '0.2' } },
      })

      const { swap } = await bob.call('orders.take', { orderId: order.orderId, amount: '0.1' })
      t.like(swap, { role: 'taker', status: 'negotiated', final: false })
      t.is(swap.takerLeg.amount.formatted, '2')
      t.is(swap.timeline.length, 6)
      const completed = (n: { method: string; params: Record<string, unknown> }) =>
        n.method === 'swap.updated' &&
        (n.params.swap as { id: string; status: string }).id === swap.id &&
        (n.params.swap as { status: string }).status === 'completed'
      await Promise.all([aliceEvents.waitFor(completed, 60_000), bobEvents.waitFor(completed, 60_000)])
      const statuses = bobEvents.received
        .filter((n) => n.method === 'swap.updated')
        .map((n) => (n.params.swap as { status: string }).status)
      t.deepEqual(
        [...new Set(statuses)],
        ['negotiated', 'counter-locked', 'lock-signed', 'locked', 'claim-signed', 'completed'],
      )
      t.like(
        await bobEvents.waitFor((n) => n.method === 'orderbook.changed' && n.params.change === 'updated'),
        {
          params: { order: { remaining: { formatted: '0.1' } } },
        },
      )

      const [mine, theirs] = await Promise.all([
        bob.call('swaps.get', { id: swap.id }),
        alice.call('swaps.get', { id: swap.id }),
      ])
      t.like(mine.swap, { status: 'completed', final: true })
      t.like(theirs.swap, { role: 'maker', status: 'completed' })
      t.truthy(mine.swap.makerLockTxid && mine.swap.takerLockTxid)
      t.deepEqual((await bob.call('swaps.list', { active: true })).swaps, [])
      t.is((await bob.call('swaps.list', {})).swaps[0]?.id, swap.id)
      const refund = await t.throwsAsync(bob.call('swaps.refund', { id: swap.id }))
      t.like(refund, { data: { code: 'INVALID_ARGUMENT' } })
      const aliceIdentity = (await alice.call('node.info')).identity
      t.is(mine.swap.peer, aliceIdentity)
      t.true((await bob.call('peers.list')).peers.some((p) => p.publicKey === aliceIdentity))
    } finally {
      aliceEvents.close()
      bobEvents.close()
    }
  },
)

test.serial(
  'swaps.refund is refused before our deadline by the chain clock and refunds after it',
  async (t) => {
    const alice = daemons.alice.api
    const bob = daemons.bob
    const events = await alice.subscribe()
    try {
      const { order } = await alice.call('orders.place', {
        base: 'BTC',
        quote: 'ETH',
        side: 'sell',
        amount: '0.1',
        price: '20',
      })
      const listed = async () => (await bob.api.call('orderbook.get', { base: 'BTC', quote: 'ETH' })).asks
      while (!(await listed()).some((o) => o.orderId === order.orderId))
        await new Promise((r) => setTimeout(r, 100))
      const { swap } = await bob.api.call('orders.take', { orderId: order.orderId })
      // The taker vanishes before it can lock (it locks only after the maker's lock confirms).
      bob.process.kill('SIGKILL')
      const status = (s: string) => (n: { method: string; params: Record<string, unknown> }) =>
        n.method === 'swap.updated' &&
        (n.params.swap as { id: string }).id === swap.id &&
        (n.params.swap as { status: string }).status === s
      await events.waitFor(status('locked'))

      const early = await t.throwsAsync(alice.call('swaps.refund', { id: swap.id }))
      t.like(early, {
        code: RPC_ERRORS.APP_ERROR,
        data: { code: 'INVALID_ARGUMENT', details: { chain: 'bitcoin', deadline: swap.makerLeg.deadline } },
      })
      t.regex(early?.message ?? '', /opens at .* by the bitcoin chain's clock/)
      t.is((await alice.call('swaps.get', { id: swap.id })).swap.status, 'locked', 'nothing changed')

      await env.control.advanceTime(swap.makerLeg.deadline - Math.floor(Date.now() / 1000) + 120)
      const refunding = await alice.call('swaps.refund', { id: swap.id })
      t.true(['locked', 'refund-signed', 'refunded'].includes(refunding.swap.status), refunding.swap.status)
      await events.waitFor(status('refunded'), 60_000)
      t.like((await alice.call('swaps.get', { id: swap.id })).swap, { status: 'refunded', final: true })
    } finally {
      events.close()
    }
  },
)

test.serial(
  'SIGTERM stops cleanly; a wrong password is then refused; the right one restarts the same node',
  async (t) => {
    const { process: alice, datadir, api } = daemons.alice
    const identity = (await api.call('node.info')).identity
    alice.kill('SIGTERM')
    t.deepEqual(await alice.exited, { code: 0, signal: null })
    for (const file of ['swarmswapd.lock', '.cookie', 'api.json']) {
      await t.throwsAsync(stat(join(datadir, file)), { code: 'ENOENT' }, `${file} removed`)
    }
    const seed = await readFile(join(datadir, 'seed.json'))
    const wrong = join(root, 'wrong-password')
    await writeFile(wrong, 'not it\n')
    const refused = await DaemonProcess.run(argsFor(datadir).map((a) => (a === passwordFile ? wrong : a)))
    t.is(refused.code, 1)
    t.regex(refused.stderr, /^swarmswapd: wrong password for .*seed\.json.*\n$/)
    t.deepEqual(await readFile(join(datadir, 'seed.json')), seed, 'seed.json unchanged')

    const again = await startDaemon('alice')
    const info = await again.api.call('node.info')
    t.is(info.identity, identity)
    t.deepEqual(
      (await again.api.call('markets.list')).markets.map((m) => m.id),
      ['regtest:BTC/ETH'],
      'markets rejoined',
    )
    again.process.kill('SIGTERM')
    t.is((await again.process.exited).code, 0)
  },
)
