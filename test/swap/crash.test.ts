import { join } from 'node:path'
import { generateMnemonic } from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import test, { type ExecutionContext } from 'ava'
import { DhtBootstrap } from '../../regtest/dht.js'
import { TradingNode, type TradingNodeOptions } from '../../src/daemon/trading-node.js'
import { isSwarmswapError } from '../../src/errors.js'
import type { Side } from '../../src/orderbook/types.js'
import { SqliteStore } from '../../src/store/sqlite-store.js'
import type { PersistPoint } from '../../src/swap/engine.js'
import {
  FINAL_STATUSES,
  type LegAdapter,
  type SignedTx,
  type SwapRecord,
  type SwapRole,
  type SwapStatus,
  type TxPurpose,
} from '../../src/swap/types.js'
import type { CrashPoint } from '../helpers/trader-child-protocol.js'
import { TraderProcess } from '../helpers/trader-process.js'
import { expectedChanges, holdings, SwapScene } from '../helpers/traders.js'

/**
 * Write-ahead (DESIGN.md invariant 5): a trader SIGKILLed right after any durable write of its swap, or right
 * after broadcasting what it wrote, resumes from its data dir and ends the swap with every satoshi and wei
 * accounted for. The crashing side runs in a child process (test/helpers/trader-child.ts) that kills itself
 * from the engine's onPersisted hook; it restarts here as an in-process TradingNode on the same data dir.
 */

const scene = new SwapScene()
const BTC = 100_000_000n
const ETH = 10n ** 18n
/** 20 ETH per BTC: 2e11 wei per satoshi. */
const PRICE = { priceNum: 200_000_000_000n, priceDen: 1n }
const AMOUNT = BTC / 10n
const FUNDS = { btc: BTC / 2n, eth: 5n * ETH }
const ASSETS = ['BTC', 'ETH']
/** Slower polling than the scene's default: up to sixteen traders share two cores and one bcoin node. */
const TIMING: Partial<TradingNodeOptions> = {
  pollMs: 1000,
  idleTickMs: 3000,
}
const SETTLE_MS = 60_000

interface Scenario {
  role: SwapRole
  status: SwapStatus
  point: PersistPoint
  /** The maker's side: 'sell' has the maker lock BTC and the taker ETH, 'buy' the other way round. */
  side: Side
}

/** Every status each role persists on the way to 'completed', and both points of each signing status. */
const COMPLETING: Scenario[] = [
  { role: 'maker', status: 'lock-signed', point: 'stored', side: 'sell' },
  { role: 'maker', status: 'lock-signed', point: 'broadcast', side: 'buy' },
  { role: 'maker', status: 'locked', point: 'stored', side: 'buy' },
  { role: 'maker', status: 'counter-locked', point: 'stored', side: 'sell' },
  { role: 'maker', status: 'claim-signed', point: 'stored', side: 'sell' },
  { role: 'maker', status: 'claim-signed', point: 'broadcast', side: 'buy' },
  { role: 'taker', status: 'negotiated', point: 'stored', side: 'buy' },
  { role: 'taker', status: 'counter-locked', point: 'stored', side: 'sell' },
  { role: 'taker', status: 'lock-signed', point: 'stored', side: 'sell' },
  { role: 'taker', status: 'lock-signed', point: 'broadcast', side: 'buy' },
  { role: 'taker', status: 'locked', point: 'stored', side: 'buy' },
  { role: 'taker', status: 'claim-signed', point: 'stored', side: 'sell' },
  { role: 'taker', status: 'claim-signed', point: 'broadcast', side: 'buy' },
]

/** The transaction each signing status stores before broadcasting it. */
const SIGNED: Partial<Record<SwapStatus, TxPurpose>> = {
  'lock-signed': 'lock',
  'claim-signed': 'claim',
  'refund-signed': 'refund',
}

test.before(async () => {
  await scene.ready()
})

const dhts: DhtBootstrap[] = []

test.after.always(async () => {
  await Promise.all(TraderProcess.all.map((child) => child.kill()))
  await scene.close()
  await Promise.all(dhts.map((dht) => dht.close()))
})

const ended = (record: SwapRecord) => FINAL_STATUSES.has(record.status)

let queue: Promise<unknown> = Promise.resolve()
/** Runs faucet payments and clock moves one at a time. */
function serially<T>(work: () => Promise<T>): Promise<T> {
  const run = queue.then(work)
  queue = run.catch(() => {})
  return run
}

/** Scenarios running at once: each adds a starting child and two traders polling the one bcoin node. */
const SLOTS = 8
let slotsFree = SLOTS
const slotWaiters: (() => void)[] = []
async function withSlot<T>(work: () => Promise<T>): Promise<T> {
  if (slotsFree > 0) slotsFree -= 1
  else await new Promise<void>((resolve) => slotWaiters.push(resolve))
  try {
    return await work()
  } finally {
    const next = slotWaiters.shift()
    if (next) next()
    else slotsFree += 1
  }
}

/**
 * The refund scenarios move both chains' clocks past their deadlines, which would break every swap still
 * running. A scenario holds the clocks while it needs them to stand still (a completing one all along, a refund
 * one until it is ready for its deadline); `clocksFree` resolves once nobody holds them. Every test starts at
 * once, and the refund ones spend seconds on their setup before they ask.
 */
let clockHolders = 0
const clockWaiters: (() => void)[] = []
async function holdingClocks<T>(work: () => Promise<T>): Promise<T> {
  clockHolders += 1
  try {
    return await work()
  } finally {
    clockHolders -= 1
    if (clockHolders === 0) for (const release of clockWaiters.splice(0)) release()
  }
}
function clocksFree(): Promise<void> {
  return clockHolders === 0 ? Promise.resolve() : new Promise((resolve) => clockWaiters.push(resolve))
}

type DhtOptions = TradingNodeOptions['dht']

/**
 * A local DHT for one scenario: its two traders find each other at once. In one shared market the DHT nodes
 * answer a lookup with 20 random announcements, and the killed children never withdraw theirs.
 */
async function privateDht(t: ExecutionContext): Promise<DhtOptions> {
  const dht = new DhtBootstrap()
  dhts.push(dht)
  t.teardown(() => dht.close())
  await dht.ready()
  return { bootstrap: dht.bootstrap, host: '127.0.0.1' }
}

/** Options of a new trader with a fresh mnemonic; its wallet's birthday is now, before its funding. */
async function freshOptions(name: string, dht: DhtOptions): Promise<TradingNodeOptions> {
  return await scene.options(name, generateMnemonic(wordlist), { ...TIMING, dht })
}

/** Pays FUNDS to a trader's addresses, one payment at a time (the faucets would otherwise reuse coins and nonces). */
function fund(btcAddress: string, evmAddress: string): Promise<void> {
  return serially(async () => {
    await scene.control.fundBitcoin(btcAddress, FUNDS.btc)
    await scene.control.fundEth(evmAddress, FUNDS.eth)
  })
}

/** Registers an in-process trader: closed when the test ends, its engine's errors logged. */
function track(t: ExecutionContext, node: TradingNode): TradingNode {
  scene.traders.push(node)
  // The engine retries a failed tick; without a listener its 'error' emit would throw.
  node.engine.on('error', (error, id) => t.log(`engine error ${id.slice(0, 8)}: ${error.message}`))
  t.teardown(() => node.close())
  return node
}

/** A ready in-process counterparty funded with FUNDS. */
async function fundedPeer(t: ExecutionContext, name: string, dht: DhtOptions): Promise<TradingNode> {
  const node = track(t, new TradingNode(await freshOptions(name, dht)))
  await fund(node.wallet.receiveAddress(), node.evmWallet.address)
  await node.ready()
  return node
}

/** The crashed trader, started again in this process from its data dir and mnemonic, without a crash point. */
async function restart(t: ExecutionContext, options: TradingNodeOptions): Promise<TradingNode> {
  const node = track(t, new TradingNode(options))
  await node.ready()
  return node
}

/** A child trader that crashes at `crash`, funded with FUNDS, in the market; and its options for the restart. */
async function crashingChild(
  name: string,
  crash: CrashPoint,
  dht: DhtOptions,
): Promise<{ child: TraderProcess; options: TradingNodeOptions }> {
  const options = await freshOptions(name, dht)
  const child = await TraderProcess.start({ options, crash })
  await fund(child.btcAddress, child.evmAddress)
  await child.request({ op: 'join', market: scene.btcEth })
  return { child, options }
}

/** The maker child places its order; resolves with the order id once the taker's book shows it. */
async function childPlaces(child: TraderProcess, taker: TradingNode, side: Side): Promise<string> {
  const orderId = await child.request({
    op: 'place',
    market: scene.btcEth,
    side,
    amount: AMOUNT.toString(),
    minFill: AMOUNT.toString(),
    priceNum: PRICE.priceNum.toString(),
    priceDen: PRICE.priceDen.toString(),
    expiry: Math.floor(Date.now() / 1000) + 3600,
  })
  if (orderId === undefined) throw new Error('place gave no order id')
  await taker.orderbook.book(scene.btcEth).waitFor((book) => book.get(orderId) !== undefined, 30_000)
  return orderId
}

/** Waits for the child to die; fails unless it SIGKILLed itself at `crash` with the record stored at that status. */
async function assertCrashed(
  t: ExecutionContext,
  child: TraderProcess,
  crash: CrashPoint,
  datadir: string,
): Promise<string> {
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, SETTLE_MS, 'timeout').unref())
  const exit = await Promise.race([child.exited, timeout])
  if (exit === 'timeout') {
    await child.kill()
    throw new Error(`the child never reached ${crash.status} (${crash.point}): ${child.transcript}`)
  }
  t.is(exit.signal, 'SIGKILL', `the child exited by itself (${exit.code}): ${child.transcript}`)
  const report = child.crash
  if (report === undefined) throw new Error(`no crash report: ${child.transcript}`)
  t.is(report.status, crash.status)
  t.is(report.point, crash.point)
  const stored = await storedRecord(datadir, report.id)
  t.is(stored?.status, crash.status, 'the status on disk at the kill')
  const purpose = SIGNED[crash.status]
  const tx = stored?.pending.filter((p) => p.purpose === purpose).at(-1)
  if (purpose !== undefined) {
    t.truthy(tx, `a stored ${purpose} transaction`)
    if (tx) t.is(await known(tx), crash.point === 'broadcast', `${purpose} known to its chain at the kill`)
  }
  return report.id
}

async function storedRecord(datadir: string, id: string): Promise<SwapRecord | undefined> {
  const store = new SqliteStore({ path: join(datadir, 'swaps.db') })
  await store.ready()
  try {
    return store.get(id)
  } finally {
    await store.close()
  }
}

/** Whether the chain node has seen the transaction (automine: a broadcast one is already mined). */
async function known(tx: SignedTx): Promise<boolean> {
  if (tx.chain === 'evm') return (await scene.control.evmProvider.getTransaction(tx.txid)) !== null
  return await scene.control.bitcoinRpc.getRawTransaction(tx.txid).then(
    () => true,
    () => false,
  )
}

/** The trader's holdings moved from `before` by exactly what `records` and their fees say. */
async function assertWhole(
  t: ExecutionContext,
  node: TradingNode,
  before: Map<string, bigint>,
  records: SwapRecord[],
  who: string,
): Promise<void> {
  const [after, expected] = await Promise.all([
    holdings(node, ASSETS),
    expectedChanges(node, records, ASSETS),
  ])
  for (const asset of ASSETS) {
    t.is(
      (after.get(asset) ?? 0n) - (before.get(asset) ?? 0n),
      expected.get(asset) ?? 0n,
      `${asset} of ${who}`,
    )
  }
}

/** What every trader of these tests starts with. */
const startingHoldings = () =>
  new Map([
    ['BTC', FUNDS.btc],
    ['ETH', FUNDS.eth],
  ])

/**
 * Holds the trader's claims until `gate` settles. A taker whose maker claims its lock before the taker saw that
 * lock confirmed goes from lock-signed straight to claim-signed and never stores 'locked'.
 */
function holdClaims(node: TradingNode, gate: Promise<unknown>): void {
  const opened = gate.catch(() => {})
  const adapters: LegAdapter[] = [node.bitcoin, node.evm]
  for (const adapter of adapters) {
    const signClaim = adapter.signClaim.bind(adapter)
    adapter.signClaim = async (...args: Parameters<LegAdapter['signClaim']>) => {
      await opened
      return await signClaim(...args)
    }
  }
}

for (const scenario of COMPLETING) {
  const { role, status, point, side } = scenario
  const name = `${role}-${status}-${point}`
  test(`${role} killed at ${status} (${point}), ${side} order: both complete, balances exact`, (t) =>
    holdingClocks(() =>
      withSlot(async () => {
        const crash = { role, status, point }
        const dht = await privateDht(t)
        const [{ child, options }, other] = await Promise.all([
          crashingChild(name, crash, dht),
          fundedPeer(t, `${name}-peer`, dht),
        ])
        await other.orderbook.join(scene.btcEth)
        if (role === 'taker' && status === 'locked') holdClaims(other, child.reached('locked', SETTLE_MS))
        let otherBefore: Map<string, bigint>
        if (role === 'maker') {
          const orderId = await childPlaces(child, other, side)
          otherBefore = await holdings(other, ASSETS)
          await other.trader.take({ orderId, amount: AMOUNT })
        } else {
          const order = await other.orderbook.place({
            market: scene.btcEth,
            side,
            amount: AMOUNT,
            minFill: AMOUNT,
            ...PRICE,
            expiry: Math.floor(Date.now() / 1000) + 3600,
          })
          otherBefore = await holdings(other, ASSETS)
          const orderId = Buffer.from(order.id).toString('hex')
          // Killed at 'negotiated', the child dies inside this take; a failed take shows in its transcript.
          child.request({ op: 'take', orderId, amount: AMOUNT.toString() }).catch(() => {})
        }
        const id = await assertCrashed(t, child, crash, options.datadir)
        const restarted = await restart(t, options)
        const [mine, theirs] = await Promise.all([
          restarted.engine.waitFor(id, ended, SETTLE_MS),
          other.engine.waitFor(id, ended, SETTLE_MS),
        ])
        t.is(mine.status, 'completed')
        t.is(theirs.status, 'completed')
        await assertWhole(t, restarted, startingHoldings(), [mine], `the crashed ${role}`)
        await assertWhole(t, other, otherBefore, [theirs], 'its counterparty')
      }),
    ))
}

/** A maker child, crashing at `crash`, and an in-process taker in the market, with the maker's order on the book. */
async function makerChildWithOrder(t: ExecutionContext, name: string, crash: CrashPoint) {
  const dht = await privateDht(t)
  const [{ child, options }, taker] = await Promise.all([
    crashingChild(name, crash, dht),
    fundedPeer(t, `${name}-peer`, dht),
  ])
  await taker.orderbook.join(scene.btcEth)
  const orderId = await childPlaces(child, taker, 'sell')
  return { child, options, taker, orderId, takerBefore: await holdings(taker, ASSETS) }
}

test('maker killed at negotiated (stored): the terms never went out; it locks, refunds at its deadline, whole', async (t) => {
  const crash = { role: 'maker', status: 'negotiated', point: 'stored' } as const
  const { taker, takerBefore, maker, locked } = await holdingClocks(() =>
    withSlot(async () => {
      const { child, options, taker, orderId, takerBefore } = await makerChildWithOrder(
        t,
        'maker-negotiated',
        crash,
      )
      // The maker stores the swap as its acceptance goes out and dies there: the taker never gets an answer.
      // The taker notices the dead connection (CLOSED) or gives up (TIMEOUT); either way it stored nothing.
      const takeFails = taker.trader.take({ orderId, amount: AMOUNT, timeoutMs: 20_000 }).then(
        () => t.fail('the take succeeded'),
        (error: unknown) =>
          t.true(isSwarmswapError(error, 'CLOSED') || isSwarmswapError(error, 'TIMEOUT'), String(error)),
      )
      const id = await assertCrashed(t, child, crash, options.datadir)
      const maker = await restart(t, options)
      const locked = await maker.engine.waitFor(id, (r) => r.status === 'locked' || ended(r), SETTLE_MS)
      await takeFails
      return { taker, takerBefore, maker, locked }
    }),
  )
  t.is(locked.status, 'locked', 'the restarted maker locks: it cannot know that its terms never went out')
  await clocksFree()
  await serially(() => scene.control.advanceTimeTo(locked.makerLeg.deadline + 1))
  const final = await maker.engine.waitFor(locked.id, ended, SETTLE_MS)
  t.is(final.status, 'refunded')
  t.deepEqual(taker.store.list(), [], 'the taker has no swap')
  await assertWhole(t, maker, startingHoldings(), [final], 'the crashed maker')
  t.deepEqual(await holdings(taker, ASSETS), takerBefore, 'the taker holds what it held')
})

test('maker killed at refund-signed (stored) after its taker never locked: ends refunded, whole', async (t) => {
  const crash = { role: 'maker', status: 'refund-signed', point: 'stored' } as const
  const { child, options, taker, takerBefore, swap } = await holdingClocks(() =>
    withSlot(async () => {
      const { child, options, taker, orderId, takerBefore } = await makerChildWithOrder(
        t,
        'maker-refund',
        crash,
      )
      const swap = await taker.trader.take({ orderId, amount: AMOUNT })
      // The taker goes silent before its first tick: it never locks.
      await taker.engine.close()
      await child.reached('locked', SETTLE_MS)
      return { child, options, taker, takerBefore, swap }
    }),
  )
  await clocksFree()
  await serially(() => scene.control.advanceTimeTo(swap.makerLeg.deadline + 1))
  const id = await assertCrashed(t, child, crash, options.datadir)
  t.is(id, swap.id)

  const maker = await restart(t, options)
  const final = await maker.engine.waitFor(id, ended, SETTLE_MS)
  t.is(final.status, 'refunded')
  t.is(final.reason, 'counterparty-never-locked')
  await assertWhole(t, maker, startingHoldings(), [final], 'the crashed maker')
  t.deepEqual(await holdings(taker, ASSETS), takerBefore, 'the taker holds what it held')
})
