import { join } from 'node:path'
import { generateMnemonic } from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import type { ExecutionContext } from 'ava'
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
import { addLosses } from '../faults/report.js'
import { haltEngineWhen } from './faults.js'
import { assertBalances } from './swaps.js'
import type { CrashPoint } from './trader-child-protocol.js'
import { TraderProcess } from './trader-process.js'
import { holdings, type SwapScene } from './traders.js'

/**
 * Write-ahead (DESIGN.md invariant 5), scenario by scenario: a trader SIGKILLed right after any durable write
 * of its swap, or right after broadcasting what it wrote, resumes from its data dir and ends the swap with
 * every satoshi and wei accounted for. The crashing side runs in a child process (test/helpers/trader-child.ts)
 * that kills itself from the engine's onPersisted hook; it restarts as an in-process TradingNode on the same
 * data dir. Used by test/swap/crash.test.ts (a sample) and test/faults/crash.test.ts (the whole matrix).
 */

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

export interface CrashScenario {
  role: SwapRole
  status: SwapStatus
  point: PersistPoint
  /** The maker's side: 'sell' has the maker lock BTC and the taker ETH, 'buy' the other way round. */
  side: Side
}

/** Every status each role persists on the way to 'completed', and both points of each signing status. */
export const COMPLETING_POINTS: Omit<CrashScenario, 'side'>[] = [
  { role: 'maker', status: 'lock-signed', point: 'stored' },
  { role: 'maker', status: 'lock-signed', point: 'broadcast' },
  { role: 'maker', status: 'locked', point: 'stored' },
  { role: 'maker', status: 'counter-locked', point: 'stored' },
  { role: 'maker', status: 'claim-signed', point: 'stored' },
  { role: 'maker', status: 'claim-signed', point: 'broadcast' },
  { role: 'taker', status: 'negotiated', point: 'stored' },
  { role: 'taker', status: 'counter-locked', point: 'stored' },
  { role: 'taker', status: 'lock-signed', point: 'stored' },
  { role: 'taker', status: 'lock-signed', point: 'broadcast' },
  { role: 'taker', status: 'locked', point: 'stored' },
  { role: 'taker', status: 'claim-signed', point: 'stored' },
  { role: 'taker', status: 'claim-signed', point: 'broadcast' },
]

/** Both points of the refund's signing status, for each role. */
export const REFUND_POINTS: Omit<CrashScenario, 'side'>[] = [
  { role: 'maker', status: 'refund-signed', point: 'stored' },
  { role: 'maker', status: 'refund-signed', point: 'broadcast' },
  { role: 'taker', status: 'refund-signed', point: 'stored' },
  { role: 'taker', status: 'refund-signed', point: 'broadcast' },
]

export const SIDES: Side[] = ['sell', 'buy']

/** The transaction each signing status stores before broadcasting it. */
const SIGNED: Partial<Record<SwapStatus, TxPurpose>> = {
  'lock-signed': 'lock',
  'claim-signed': 'claim',
  'refund-signed': 'refund',
}

const ended = (record: SwapRecord) => FINAL_STATUSES.has(record.status)

type DhtOptions = TradingNodeOptions['dht']

/** What a scenario reports: the funds the two traders ended short of, summed per asset (0n when whole). */
export type Shortfall = Map<string, bigint>

export class CrashLab {
  readonly scene: SwapScene
  readonly #dhts: DhtBootstrap[] = []
  #queue: Promise<unknown> = Promise.resolve()
  #slotsFree: number
  readonly #slotWaiters: (() => void)[] = []
  #clockHolders = 0
  readonly #clockWaiters: (() => void)[] = []

  /**
   * `slots`: scenarios running at once (the rest wait); each adds a starting child and two traders polling
   * the one bcoin node.
   */
  constructor(scene: SwapScene, slots: number) {
    this.scene = scene
    this.#slotsFree = slots
  }

  /** Kills every child still running and stops every scenario's DHT. */
  async close(): Promise<void> {
    await Promise.all(TraderProcess.all.map((child) => child.kill()))
    await Promise.all(this.#dhts.map((dht) => dht.close()))
  }

  /** The crashing trader and its counterparty both complete the swap, with exact balances. */
  completing(t: ExecutionContext, scenario: CrashScenario): Promise<Shortfall> {
    const { role, status, point, side } = scenario
    const name = `${role}-${status}-${point}-${side}`
    return this.#holdingClocks(() =>
      this.#withSlot(async () => {
        const crash = { role, status, point }
        const dht = await this.#privateDht(t)
        const [{ child, options }, other] = await Promise.all([
          this.#crashingChild(name, crash, dht),
          this.#fundedPeer(t, `${name}-peer`, dht),
        ])
        await other.orderbook.join(this.scene.btcEth)
        if (role === 'taker' && status === 'locked') holdClaims(other, child.reached('locked', SETTLE_MS))
        let otherBefore: Map<string, bigint>
        if (role === 'maker') {
          const orderId = await this.#childPlaces(child, other, side)
          otherBefore = await holdings(other, ASSETS)
          await other.trader.take({ orderId, amount: AMOUNT })
        } else {
          const orderId = await this.#places(other, side)
          otherBefore = await holdings(other, ASSETS)
          // Killed at 'negotiated', the child dies inside this take; a failed take shows in its transcript.
          child.request({ op: 'take', orderId, amount: AMOUNT.toString() }).catch(() => {})
        }
        const id = await this.#assertCrashed(t, child, crash, options.datadir)
        const restarted = await this.#restart(t, options)
        const [mine, theirs] = await Promise.all([
          restarted.engine.waitFor(id, ended, SETTLE_MS),
          other.engine.waitFor(id, ended, SETTLE_MS),
        ])
        t.is(mine.status, 'completed')
        t.is(theirs.status, 'completed')
        return addLosses(
          await assertBalances(t, restarted, startingHoldings(), [mine], ASSETS),
          await assertBalances(t, other, otherBefore, [theirs], ASSETS),
        )
      }),
    )
  }

  /**
   * The maker dies as it stores the swap, before its acceptance goes out: the taker never hears of the swap,
   * and the restarted maker (which cannot know that) locks, then refunds at its deadline.
   */
  async makerNegotiated(t: ExecutionContext, side: Side): Promise<Shortfall> {
    const crash = { role: 'maker', status: 'negotiated', point: 'stored' } as const
    const { taker, takerBefore, maker, locked } = await this.#holdingClocks(() =>
      this.#withSlot(async () => {
        const { child, options, taker, orderId, takerBefore } = await this.#makerChildWithOrder(
          t,
          `maker-negotiated-${side}`,
          crash,
          side,
        )
        // The taker notices the dead connection (CLOSED) or gives up (TIMEOUT); either way it stored nothing.
        const takeFails = taker.trader.take({ orderId, amount: AMOUNT, timeoutMs: 20_000 }).then(
          () => t.fail('the take succeeded'),
          (error: unknown) =>
            t.true(isSwarmswapError(error, 'CLOSED') || isSwarmswapError(error, 'TIMEOUT'), String(error)),
        )
        const id = await this.#assertCrashed(t, child, crash, options.datadir)
        const maker = await this.#restart(t, options)
        const locked = await maker.engine.waitFor(id, (r) => r.status === 'locked' || ended(r), SETTLE_MS)
        await takeFails
        return { taker, takerBefore, maker, locked }
      }),
    )
    t.is(locked.status, 'locked', 'the restarted maker locks: it cannot know that its terms never went out')
    await this.#timeTo(locked.makerLeg.deadline + 1)
    const final = await maker.engine.waitFor(locked.id, ended, SETTLE_MS)
    t.is(final.status, 'refunded')
    t.deepEqual(taker.store.list(), [], 'the taker has no swap')
    return addLosses(
      await assertBalances(t, maker, startingHoldings(), [final], ASSETS),
      await assertBalances(t, taker, takerBefore, [], ASSETS),
    )
  }

  /**
   * A maker whose taker never locks, killed at refund-signed after its deadline: restarted, it ends refunded.
   * The taker goes silent right after the take.
   */
  async makerRefund(t: ExecutionContext, point: PersistPoint, side: Side): Promise<Shortfall> {
    const crash = { role: 'maker', status: 'refund-signed', point } as const
    const { child, options, taker, takerBefore, swap } = await this.#holdingClocks(() =>
      this.#withSlot(async () => {
        const { child, options, taker, orderId, takerBefore } = await this.#makerChildWithOrder(
          t,
          `maker-refund-${point}-${side}`,
          crash,
          side,
        )
        const swap = await taker.trader.take({ orderId, amount: AMOUNT })
        // The taker goes silent before its first tick: it never locks.
        await taker.engine.close()
        await child.reached('locked', SETTLE_MS)
        return { child, options, taker, takerBefore, swap }
      }),
    )
    await this.#timeTo(swap.makerLeg.deadline + 1)
    const id = await this.#assertCrashed(t, child, crash, options.datadir)
    t.is(id, swap.id)
    const maker = await this.#restart(t, options)
    const final = await maker.engine.waitFor(id, ended, SETTLE_MS)
    t.is(final.status, 'refunded')
    t.is(final.reason, 'counterparty-never-locked')
    return addLosses(
      await assertBalances(t, maker, startingHoldings(), [final], ASSETS),
      await assertBalances(t, taker, takerBefore, [], ASSETS),
    )
  }

  /**
   * A taker whose maker never claims, killed at refund-signed after the taker's deadline: restarted, it ends
   * refunded; the maker, silent since it locked, is started again after its own deadline and refunds too.
   */
  async takerRefund(t: ExecutionContext, point: PersistPoint, side: Side): Promise<Shortfall> {
    const crash = { role: 'taker', status: 'refund-signed', point } as const
    const name = `taker-refund-${point}-${side}`
    const { child, options, maker, makerBefore, halted } = await this.#holdingClocks(() =>
      this.#withSlot(async () => {
        const dht = await this.#privateDht(t)
        const [{ child, options }, maker] = await Promise.all([
          this.#crashingChild(name, crash, dht),
          this.#fundedPeer(t, `${name}-peer`, dht),
        ])
        await maker.orderbook.join(this.scene.btcEth)
        const orderId = await this.#places(maker, side)
        const makerBefore = await holdings(maker, ASSETS)
        // The maker goes silent once its own lock is confirmed: it never sees the taker's lock, never claims.
        const halted = haltEngineWhen(maker, maker, (record) => record.status === 'locked')
        await child.request({ op: 'take', orderId, amount: AMOUNT.toString() })
        await child.reached('locked', SETTLE_MS)
        return { child, options, maker, makerBefore, halted: await halted }
      }),
    )
    await this.#timeTo(halted.takerLeg.deadline + 1)
    const id = await this.#assertCrashed(t, child, crash, options.datadir)
    const taker = await this.#restart(t, options)
    const takerFinal = await taker.engine.waitFor(id, ended, SETTLE_MS)
    t.is(takerFinal.status, 'refunded')
    await this.#timeTo(halted.makerLeg.deadline + 1)
    await maker.close()
    const makerAgain = await this.#restart(t, maker.options)
    const makerFinal = await makerAgain.engine.waitFor(id, ended, SETTLE_MS)
    t.is(makerFinal.status, 'refunded')
    return addLosses(
      await assertBalances(t, taker, startingHoldings(), [takerFinal], ASSETS),
      await assertBalances(t, makerAgain, makerBefore, [makerFinal], ASSETS),
    )
  }

  /** Moves both chains' clocks once no scenario needs them to stand still. */
  async #timeTo(unixSeconds: number): Promise<void> {
    await this.#clocksFree()
    await this.#serially(() => this.scene.control.advanceTimeTo(unixSeconds))
  }

  /** Runs faucet payments and clock moves one at a time. */
  #serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work)
    this.#queue = run.catch(() => {})
    return run
  }

  async #withSlot<T>(work: () => Promise<T>): Promise<T> {
    if (this.#slotsFree > 0) this.#slotsFree -= 1
    else await new Promise<void>((resolve) => this.#slotWaiters.push(resolve))
    try {
      return await work()
    } finally {
      const next = this.#slotWaiters.shift()
      if (next) next()
      else this.#slotsFree += 1
    }
  }

  /**
   * The refund scenarios move both chains' clocks past their deadlines, which would break every swap still
   * running. A scenario holds the clocks while it needs them to stand still (a completing one all along, a
   * refund one until it is ready for its deadline); `#clocksFree` resolves once nobody holds them.
   */
  async #holdingClocks<T>(work: () => Promise<T>): Promise<T> {
    this.#clockHolders += 1
    try {
      return await work()
    } finally {
      this.#clockHolders -= 1
      if (this.#clockHolders === 0) for (const release of this.#clockWaiters.splice(0)) release()
    }
  }

  #clocksFree(): Promise<void> {
    return this.#clockHolders === 0
      ? Promise.resolve()
      : new Promise((resolve) => this.#clockWaiters.push(resolve))
  }

  /**
   * A local DHT for one scenario: its two traders find each other at once. In one shared market the DHT nodes
   * answer a lookup with 20 random announcements, and the killed children never withdraw theirs.
   */
  async #privateDht(t: ExecutionContext): Promise<DhtOptions> {
    const dht = new DhtBootstrap()
    this.#dhts.push(dht)
    t.teardown(() => dht.close())
    await dht.ready()
    return { bootstrap: dht.bootstrap, host: '127.0.0.1' }
  }

  /** Options of a new trader with a fresh mnemonic; its wallet's birthday is now, before its funding. */
  async #freshOptions(name: string, dht: DhtOptions): Promise<TradingNodeOptions> {
    return await this.scene.options(name, generateMnemonic(wordlist), { ...TIMING, dht })
  }

  /** Pays FUNDS to a trader's addresses, one payment at a time (the faucets would otherwise reuse coins and nonces). */
  #fund(btcAddress: string, evmAddress: string): Promise<void> {
    return this.#serially(async () => {
      await this.scene.control.fundBitcoin(btcAddress, FUNDS.btc)
      await this.scene.control.fundEth(evmAddress, FUNDS.eth)
    })
  }

  /** Registers an in-process trader: closed when the test ends, its engine's errors logged. */
  #track(t: ExecutionContext, node: TradingNode): TradingNode {
    this.scene.traders.push(node)
    // The engine retries a failed tick; without a listener its 'error' emit would throw.
    node.engine.on('error', (error, id) => t.log(`engine error ${id.slice(0, 8)}: ${error.message}`))
    t.teardown(() => node.close())
    return node
  }

  /** A ready in-process counterparty funded with FUNDS. */
  async #fundedPeer(t: ExecutionContext, name: string, dht: DhtOptions): Promise<TradingNode> {
    const node = this.#track(t, new TradingNode(await this.#freshOptions(name, dht)))
    await this.#fund(node.wallet.receiveAddress(), node.evmWallet.address)
    await node.ready()
    return node
  }

  /** A trader started again in this process from its data dir and mnemonic, without a crash point. */
  async #restart(t: ExecutionContext, options: TradingNodeOptions): Promise<TradingNode> {
    const node = this.#track(t, new TradingNode(options))
    await node.ready()
    return node
  }

  /** A child trader that crashes at `crash`, funded with FUNDS, in the market; and its options for the restart. */
  async #crashingChild(
    name: string,
    crash: CrashPoint,
    dht: DhtOptions,
  ): Promise<{ child: TraderProcess; options: TradingNodeOptions }> {
    const options = await this.#freshOptions(name, dht)
    const child = await TraderProcess.start({ options, crash })
    await this.#fund(child.btcAddress, child.evmAddress)
    await child.request({ op: 'join', market: this.scene.btcEth })
    return { child, options }
  }

  /** A maker child, crashing at `crash`, and an in-process taker in the market, with the maker's order on the book. */
  async #makerChildWithOrder(t: ExecutionContext, name: string, crash: CrashPoint, side: Side) {
    const dht = await this.#privateDht(t)
    const [{ child, options }, taker] = await Promise.all([
      this.#crashingChild(name, crash, dht),
      this.#fundedPeer(t, `${name}-peer`, dht),
    ])
    await taker.orderbook.join(this.scene.btcEth)
    const orderId = await this.#childPlaces(child, taker, side)
    return { child, options, taker, orderId, takerBefore: await holdings(taker, ASSETS) }
  }

  /** An in-process maker places its order; resolves with the order id. */
  async #places(maker: TradingNode, side: Side): Promise<string> {
    const order = await maker.orderbook.place({
      market: this.scene.btcEth,
      side,
      amount: AMOUNT,
      minFill: AMOUNT,
      ...PRICE,
      expiry: Math.floor(Date.now() / 1000) + 3600,
    })
    return Buffer.from(order.id).toString('hex')
  }

  /** The maker child places its order; resolves with the order id once the taker's book shows it. */
  async #childPlaces(child: TraderProcess, taker: TradingNode, side: Side): Promise<string> {
    const orderId = await child.request({
      op: 'place',
      market: this.scene.btcEth,
      side,
      amount: AMOUNT.toString(),
      minFill: AMOUNT.toString(),
      priceNum: PRICE.priceNum.toString(),
      priceDen: PRICE.priceDen.toString(),
      expiry: Math.floor(Date.now() / 1000) + 3600,
    })
    if (orderId === undefined) throw new Error('place gave no order id')
    await taker.orderbook.book(this.scene.btcEth).waitFor((book) => book.get(orderId) !== undefined, 30_000)
    return orderId
  }

  /** Waits for the child to die; fails unless it SIGKILLed itself at `crash` with the record stored at that status. */
  async #assertCrashed(
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
      if (tx)
        t.is(await this.#known(tx), crash.point === 'broadcast', `${purpose} known to its chain at the kill`)
    }
    return report.id
  }

  /** Whether the chain node has seen the transaction (automine: a broadcast one is already mined). */
  async #known(tx: SignedTx): Promise<boolean> {
    const control = this.scene.control
    if (tx.chain === 'evm') return (await control.evmProvider.getTransaction(tx.txid)) !== null
    return await control.bitcoinRpc.getRawTransaction(tx.txid).then(
      () => true,
      () => false,
    )
  }
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

/** What every crashing trader starts with. */
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
