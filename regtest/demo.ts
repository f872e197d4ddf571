import { Command } from 'commander'
import { SwarmswapError } from '../src/errors.js'
import { DECIMALS, formatAmount, parseAmount } from '../src/money.js'
import type { SwapView, SwarmswapClient } from '../src/sdk/index.js'
import { DaemonScene, type RunningDaemon } from './daemon-scene.js'

/**
 * `npm run demo`: one trade between two traders, as people run it. It starts a private regtest
 * environment (free loopback ports, temporary state) and two swarmswapd daemons with their own data dirs,
 * funds both wallets, has Alice (the maker) place an order to sell BTC for ETH and Bob (the taker) take it
 * through the SDK, prints each step of the swap on both sides as the daemons report it, then the final
 * balances, and stops everything it started. `--json`: one JSON object as the last line. Exit code 1 if
 * the swap did not complete.
 */

const ASSETS = ['BTC', 'ETH'] as const
const SWAP_TIMEOUT_MS = 5 * 60_000
const BOOK_TIMEOUT_MS = 60_000

interface Options {
  json?: boolean
  btc: string
  price: string
}

const program = new Command()
  .name('npm run demo --')
  .description('two swarmswapd daemons on regtest trade BTC for ETH by atomic swap, end to end')
  .option('--json', 'print the outcome as one JSON object on the last line')
  .option('--btc <amount>', 'BTC Alice sells', '0.5')
  .option('--price <eth>', 'ETH per BTC', '20')
  .action(async (options: Options) => {
    const btc = parseAmount(options.btc, DECIMALS.BTC)
    parseAmount(options.price, DECIMALS.ETH)
    const log = (line: string) => process.stdout.write(`${line}\n`)
    const started = Date.now()
    const scene = new DaemonScene()
    try {
      log('Starting the regtest environment (Bitcoin node, anvil, local DHT) on 127.0.0.1 ...')
      await scene.ready()
      log('Starting two swarmswapd daemons: Alice (maker) and Bob (taker) ...')
      const [alice, bob] = await Promise.all([scene.start('alice'), scene.start('bob')])
      await scene.fund(alice, { sats: btc + 10_000_000n, wei: 10n ** 18n })
      await scene.fund(bob, { sats: 0n, wei: 100n * 10n ** 18n })
      const before = await Promise.all([holdings(alice.client), holdings(bob.client)])
      log(`  Alice holds ${describe(before[0])}; Bob holds ${describe(before[1])}`)

      await Promise.all([alice.client.joinMarket('BTC', 'ETH'), bob.client.joinMarket('BTC', 'ETH')])
      const order = await alice.client.placeOrder({
        base: 'BTC',
        quote: 'ETH',
        side: 'sell',
        amount: options.btc,
        price: options.price,
      })
      log(
        `Alice offers ${order.amount.formatted} BTC at ${order.price} ETH/BTC (order ${short(order.orderId)})`,
      )
      await waitForOrder(bob.client, order.orderId)
      log("  the order reached Bob's book over the DHT")

      const printers = [watch('Alice', alice, log), watch('Bob', bob, log)]
      const taken = await bob.client.take(order.orderId)
      log(`Bob takes it: swap ${short(taken.id)}`)
      log(`  Alice locks ${taken.makerLeg.amount.formatted} BTC until ${isoTime(taken.makerLeg.deadline)}`)
      log(`  Bob locks ${taken.takerLeg.amount.formatted} ETH until ${isoTime(taken.takerLeg.deadline)}`)
      for (const deadline of taken.timeline) log(`  ${deadline.text}`)
      const [makerSwap, takerSwap] = await Promise.all([
        alice.client.waitForSwap(taken.id, (s) => s.final, SWAP_TIMEOUT_MS),
        bob.client.waitForSwap(taken.id, (s) => s.final, SWAP_TIMEOUT_MS),
      ])
      for (const stop of await Promise.all(printers)) stop()

      const after = await Promise.all([holdings(alice.client), holdings(bob.client)])
      const changes = { maker: change(before[0], after[0]), taker: change(before[1], after[1]) }
      log('Balance changes (fees included):')
      log(`  Alice  BTC ${changes.maker.BTC.padStart(12)}   ETH ${changes.maker.ETH}`)
      log(`  Bob    BTC ${changes.taker.BTC.padStart(12)}   ETH ${changes.taker.ETH}`)
      const ok = makerSwap.status === 'completed' && takerSwap.status === 'completed'
      log(
        ok ? 'The swap completed on both sides.' : `The swap ended ${makerSwap.status}/${takerSwap.status}.`,
      )
      log(`Done in ${formatAmount(BigInt(Date.now() - started), 3)} s`)
      if (options.json === true) {
        log(
          JSON.stringify({
            ok,
            swapId: taken.id,
            market: makerSwap.market.id,
            orderId: order.orderId,
            status: { maker: makerSwap.status, taker: takerSwap.status },
            btcLockTxid: makerSwap.makerLockTxid,
            evmLockTxid: makerSwap.takerLockTxid,
            evmClaimTxid: claimTxid(makerSwap),
            btcClaimTxid: claimTxid(takerSwap),
            balanceChanges: changes,
          }),
        )
      }
      if (!ok) process.exitCode = 1
    } finally {
      await scene.close()
    }
  })

/** Prints each new step of a daemon's swaps as it happens; resolves to a function that stops printing. */
async function watch(who: string, daemon: RunningDaemon, log: (line: string) => void): Promise<() => void> {
  const events = await daemon.client.events()
  const printed = new Map<string, number>()
  const onUpdate = ({ swap }: { swap: SwapView }) => {
    const seen = printed.get(swap.id) ?? 0
    for (const event of swap.history.slice(seen)) {
      const tx = event.txid === undefined ? '' : `  ${event.chain ?? ''} tx ${event.txid}`
      log(`  [${who.padEnd(5)}] ${event.status.padEnd(14)} ${event.note}${tx}`)
    }
    printed.set(swap.id, swap.history.length)
  }
  events.on('swap.updated', onUpdate)
  return () => events.off('swap.updated', onUpdate)
}

async function waitForOrder(client: SwarmswapClient, orderId: string): Promise<void> {
  const deadline = Date.now() + BOOK_TIMEOUT_MS
  while (Date.now() < deadline) {
    const book = await client.orderbook('BTC', 'ETH')
    if (book.asks.some((ask) => ask.orderId === orderId)) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new SwarmswapError('TIMEOUT', `the order did not reach the taker's book in ${BOOK_TIMEOUT_MS} ms`)
}

/** Base units of BTC and ETH a daemon's wallet holds (confirmed + arriving). */
async function holdings(client: SwarmswapClient): Promise<Record<(typeof ASSETS)[number], bigint>> {
  const balances = await client.balance()
  const total = (asset: string) =>
    balances
      .filter((b) => b.asset === asset)
      .reduce((sum, b) => sum + BigInt(b.confirmed.amount) + BigInt(b.unconfirmed.amount), 0n)
  return { BTC: total('BTC'), ETH: total('ETH') }
}

function change(before: Record<string, bigint>, after: Record<string, bigint>) {
  const delta = (asset: (typeof ASSETS)[number]) =>
    formatAmount((after[asset] ?? 0n) - (before[asset] ?? 0n), DECIMALS[asset])
  return { BTC: delta('BTC'), ETH: delta('ETH') }
}

function describe(held: Record<(typeof ASSETS)[number], bigint>): string {
  return `${formatAmount(held.BTC, DECIMALS.BTC)} BTC and ${formatAmount(held.ETH, DECIMALS.ETH)} ETH`
}

/** The txid of our last signed claim (a fee bump replaces an earlier one). */
function claimTxid(swap: SwapView): string | undefined {
  return swap.history.filter((e) => e.note.startsWith('claim signed') && e.txid).at(-1)?.txid
}

const short = (id: string) => `${id.slice(0, 8)}…`
const isoTime = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString()

try {
  await program.parseAsync()
} catch (error) {
  const message = error instanceof SwarmswapError ? `${error.code}: ${error.message}` : String(error)
  process.stderr.write(`demo failed: ${message}\n`)
  if (process.argv.includes('--json'))
    process.stdout.write(`${JSON.stringify({ ok: false, error: message })}\n`)
  process.exitCode = 1
}
