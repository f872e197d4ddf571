import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import test from 'ava'
import { type CliResult, DaemonScene, type RunningDaemon } from '../../regtest/daemon-scene.js'
import type { CliIo } from '../../src/cli/context.js'
import { runCli } from '../../src/cli/program.js'
import { SwarmswapClient } from '../../src/sdk/client.js'
import { SwarmswapApiError } from '../../src/sdk/errors.js'
import type { BalanceView, SwapView } from '../../src/sdk/types.js'

const scene = new DaemonScene()
let maker: RunningDaemon
let taker: RunningDaemon

test.before(async () => {
  await scene.ready()
  ;[maker, taker] = await Promise.all([scene.start('maker'), scene.start('taker')])
  // Joined first, so the daemons discover each other on the DHT while the wallets are funded.
  const joined = await Promise.all([
    cliJson<{ market: { id: string } }>(maker, ['markets', 'join', 'BTC', 'ETH']),
    cliJson<{ market: { id: string } }>(taker, ['markets', 'join', 'btc', 'eth']),
  ])
  if (joined.some(({ market }) => market.id !== 'regtest:BTC/ETH')) throw new Error('joined the wrong market')
  // One after the other: the faucets are single wallets (concurrent sends would reuse a nonce).
  await scene.fund(maker, { sats: 50_000_000n, wei: 10n ** 18n })
  await scene.fund(taker, { sats: 10_000_000n, wei: 10n * 10n ** 18n })
})

test.after.always(async () => {
  await scene.close()
})

/** The real binary with --json: exit 0 and exactly one JSON object on stdout. */
async function cliJson<T>(daemon: RunningDaemon, args: string[]): Promise<T> {
  const result: CliResult = await scene.cli(daemon, ['--json', ...args])
  if (result.code !== 0) {
    throw new Error(
      `swarmswap ${args.join(' ')} exited ${result.code}: ${result.stderr}\n${daemon.logs().slice(-2000)}`,
    )
  }
  const lines = result.stdout.trimEnd().split('\n')
  if (lines.length !== 1) throw new Error(`not one line of JSON: ${result.stdout}`)
  return JSON.parse(lines[0] ?? '') as T
}

/** The CLI in-process (same code as the binary, no process start) for the checks around the swap. */
async function cliText(
  daemon: RunningDaemon,
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    now: () => Date.now() / 1000,
  }
  const code = await runCli(['--datadir', daemon.datadir, ...args], io)
  return { code, out: out.join('\n'), err: err.join('\n') }
}

function units(balances: BalanceView[], asset: string): bigint {
  const balance = balances.find((b) => b.asset === asset)
  if (balance === undefined) throw new Error(`no ${asset} balance`)
  return BigInt(balance.confirmed.amount)
}

test.serial(
  'one swap driven entirely through the CLI with --json: BTC/ETH, maker sells 0.1 BTC at 20',
  async (t) => {
    const before = { maker: await maker.client.balance(), taker: await taker.client.balance() }

    const { order } = await cliJson<{ order: { orderId: string; side: string; price: string } }>(maker, [
      'order',
      'place',
      'sell',
      'BTC',
      'ETH',
      '0.1',
      '20',
    ])
    t.like(order, { side: 'sell', price: '20' })

    // The taker finds the order in its book once the maker is discovered on the DHT.
    const seen = Date.now()
    for (;;) {
      const book = await cliJson<{ asks: { orderId: string }[] }>(taker, ['book', 'BTC', 'ETH'])
      if (book.asks.some((ask) => ask.orderId === order.orderId)) break
      if (Date.now() - seen > 60_000) t.fail('the order never reached the taker’s book')
    }
    t.log(`order in the taker's book after ${Date.now() - seen} ms`)

    const took = await cliJson<{ swap: SwapView }>(taker, ['take', order.orderId])
    t.like(took.swap, { role: 'taker', orderId: order.orderId, final: false })
    t.like(took.swap.makerLeg, {
      chain: 'bitcoin',
      amount: { asset: 'BTC', amount: '10000000', formatted: '0.1' },
    })
    t.like(took.swap.takerLeg, {
      chain: 'evm',
      amount: { asset: 'ETH', amount: '2000000000000000000', formatted: '2' },
    })

    const started = Date.now()
    const [takerEnd, makerEnd] = await Promise.all([
      cliJson<{ swap: SwapView }>(taker, ['swaps', 'watch', took.swap.id, '--timeout', '90']),
      cliJson<{ swap: SwapView }>(maker, ['swaps', 'watch', took.swap.id, '--timeout', '90']),
    ])
    t.log(`swap completed ${Date.now() - started} ms after take`)
    t.like(takerEnd.swap, { id: took.swap.id, role: 'taker', status: 'completed', final: true })
    t.like(makerEnd.swap, { id: took.swap.id, role: 'maker', status: 'completed', final: true })

    // Each side's history names the lock and the claim it signed, with txids on the right chains.
    const txids = (swap: SwapView, chain: string) =>
      new Set(
        swap.history
          .filter((e) => e.chain === chain && e.txid !== undefined && / signed/.test(e.note))
          .map((e) => e.txid),
      )
    t.is(txids(makerEnd.swap, 'bitcoin').size, 1, 'maker: one Bitcoin lock')
    t.is(txids(makerEnd.swap, 'evm').size, 1, 'maker: one EVM claim')
    t.is(txids(takerEnd.swap, 'evm').size, 1, 'taker: one EVM lock')
    t.is(txids(takerEnd.swap, 'bitcoin').size, 1, 'taker: one Bitcoin claim')

    const after = {
      maker: (await cliJson<{ balances: BalanceView[] }>(maker, ['wallet', 'balance'])).balances,
      taker: await taker.client.balance(),
    }
    const change = (who: 'maker' | 'taker', asset: string) =>
      units(after[who], asset) - units(before[who], asset)
    const btcFee = 10_000n // sats: far above what a lock or claim costs on regtest
    const gas = 10n ** 16n // wei: 0.01 ETH, far above what a lock or claim costs on anvil
    t.true(change('taker', 'BTC') <= 10_000_000n && change('taker', 'BTC') > 10_000_000n - btcFee)
    t.true(change('maker', 'BTC') < -10_000_000n && change('maker', 'BTC') > -10_000_000n - btcFee)
    t.true(change('taker', 'ETH') < -(2n * 10n ** 18n) && change('taker', 'ETH') > -(2n * 10n ** 18n) - gas)
    t.true(change('maker', 'ETH') <= 2n * 10n ** 18n && change('maker', 'ETH') > 2n * 10n ** 18n - gas)

    // The human views of the same swap.
    const shown = await cliText(taker, ['swaps', 'show', took.swap.id])
    t.is(shown.code, 0)
    t.regex(shown.out, /status\s+completed \(final\)/)
    t.regex(
      shown.out,
      /DEADLINES \(who must act by when\)\n\s+ACTION\s+WHEN\s+TIME\n\s+maker must lock BTC\s+by\s+/,
    )
    t.regex(shown.out, new RegExp(`claim confirmed\\s+bitcoin tx ${[...txids(takerEnd.swap, 'bitcoin')][0]}`))
    const active = await cliJson<{ swaps: SwapView[] }>(taker, ['swaps', 'list', '--active'])
    t.deepEqual(active.swaps, [])
    const listed = await cliText(taker, ['swaps', 'list'])
    t.regex(listed.out, new RegExp(`${took.swap.id}\\s+taker\\s+completed\\s+0\\.1 BTC\\s+2 ETH`))
  },
)

test.serial('orders: place with options, list, cancel (in-process CLI against the daemon)', async (t) => {
  const placed = await cliText(maker, [
    '--json',
    'order',
    'place',
    'buy',
    'BTC',
    'ETH',
    '0.1',
    '19.5',
    '--min-fill',
    '0.05',
    '--expires-in',
    '600',
  ])
  t.is(placed.code, 0, placed.err)
  const { order } = JSON.parse(placed.out) as { order: { orderId: string; minFill: { amount: string } } }
  t.is(order.minFill.amount, '5000000')
  const list = await cliText(maker, ['order', 'list'])
  t.regex(
    list.out,
    new RegExp(
      `${order.orderId}\\s+buy\\s+19\\.5\\s+0\\.1\\s+0\\.05\\s+regtest:BTC/ETH\\s+.*\\(in (?:9m \\d\\ds|10m 00s)\\)\\s+yes`,
    ),
  )
  const cancelled = await cliText(maker, ['order', 'cancel', order.orderId])
  t.deepEqual(cancelled, { code: 0, out: `cancelled ${order.orderId}`, err: '' })
  const after = await cliText(maker, ['--json', 'order', 'list'])
  t.false(after.out.includes(order.orderId))
})

test.serial('info, peers, addresses, markets through the CLI', async (t) => {
  const info = await cliText(taker, ['info'])
  t.regex(info.out, /^version\s+\d+\.\d+\.\d+ \(API 1\)\nnetwork\s+regtest\n/)
  const peers = JSON.parse((await cliText(taker, ['--json', 'peers'])).out) as {
    peers: { publicKey: string }[]
  }
  const makerInfo = JSON.parse((await cliText(maker, ['--json', 'info'])).out) as { identity: string }
  t.true(peers.peers.some((peer) => peer.publicKey === makerInfo.identity))
  const address = await cliText(taker, ['wallet', 'address', 'btc'])
  t.regex(address.out, /^bcrt1q[0-9a-z]{38,58}$/)
  const markets = await cliText(taker, ['markets', 'list'])
  t.is(markets.out, 'regtest:BTC/ETH')
  const unknown = await cliText(taker, ['swaps', 'show', 'cd'.repeat(32)])
  t.is(unknown.code, 1)
  t.regex(unknown.err, /^swarmswap: .+$/)
})

test.serial(
  'a wrong cookie is refused: UNAUTHORIZED in the SDK, one line and exit 1 in the CLI',
  async (t) => {
    const { url } = JSON.parse(await readFile(join(taker.datadir, 'api.json'), 'utf8')) as { url: string }
    const wrong = new SwarmswapClient({ url, cookie: `__cookie__:${'00'.repeat(32)}` })
    t.teardown(() => wrong.close())
    const error = await t.throwsAsync(wrong.info(), { instanceOf: SwarmswapApiError })
    t.is(error.code, 'UNAUTHORIZED')
    t.is((await t.throwsAsync(wrong.events(), { instanceOf: SwarmswapApiError })).code, 'UNAUTHORIZED')

    const cookieFile = join(maker.datadir, '.cookie') // the other daemon's cookie
    const result = await cliText(taker, [
      '--rpc-url',
      url,
      '--cookie-file',
      cookieFile,
      '--json',
      'wallet',
      'balance',
    ])
    t.is(result.code, 1)
    t.is(result.out, '')
    t.regex(
      result.err,
      /^swarmswap: the daemon refused the request \(HTTP 401\): missing or wrong credentials[^\n]*$/,
    )
  },
)
