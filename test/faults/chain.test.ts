import { setTimeout as sleep } from 'node:timers/promises'
import test, { type ExecutionContext } from 'ava'
import { parseTransaction } from '../../src/chains/bitcoin/transaction.js'
import type { TradingNode, TradingNodeOptions } from '../../src/daemon/trading-node.js'
import type { Side } from '../../src/orderbook/types.js'
import { FINAL_STATUSES, type SwapRecord } from '../../src/swap/types.js'
import { PausableMiner } from '../helpers/pausable-miner.js'
import { RpcProxy } from '../helpers/rpc-outage.js'
import { assertBalances, hex, openMarket, placeOrder } from '../helpers/swaps.js'
import { holdings, SwapScene, type TraderFunds } from '../helpers/traders.js'
import { addLosses, faultCase } from './report.js'

/**
 * Chain faults (issue 6): full two-trader swaps on the regtest chains while a trader's Bitcoin or EVM node
 * is unreachable, while a lock is reorganised out below its required confirmations, and while a claim sits
 * in the mempool at a low fee rate. Backend errors never advance a swap; every swap still completes, and
 * both traders end with exactly what the terms and the fees say.
 *
 * Each trader reaches both nodes through its own RpcProxy, so one trader's node can go away while the
 * chains and the other trader go on. Bitcoin mines through a PausableMiner (a block whenever the mempool
 * holds a transaction) so a test can stop confirmations.
 */

/** Bitcoin mining is left to the test's PausableMiner. */
const scene = new SwapScene({ bitcoinMining: { mode: 'manual' } })
let miner: PausableMiner | undefined
const proxies: RpcProxy[] = []

const BTC = 100_000_000n
const ETH = 10n ** 18n
/** 20 ETH per BTC: 2e11 wei per satoshi. */
const PRICE = { priceNum: 200_000_000_000n, priceDen: 1n }
/** Each swap: 0.1 BTC for 2 ETH. */
const AMOUNT = BTC / 10n
const ASSETS = ['BTC', 'ETH']
const SWAP_TIMEOUT_MS = 90_000
/** How long a node stays unreachable once the step it hides has happened: many ticks (idle tick 500 ms). */
const OUTAGE_HOLD_MS = 3000
/** How long a reorganised-out lock stays unconfirmed. */
const REORG_HOLD_MS = 2000

test.before(async () => {
  await scene.ready()
  miner = new PausableMiner(scene.control)
  miner.start()
})

test.after.always(async () => {
  try {
    await miner?.close()
  } finally {
    await scene.close()
    await Promise.all(proxies.map((proxy) => proxy.close()))
  }
})

const ended = (record: SwapRecord) => FINAL_STATUSES.has(record.status)
const reached = (status: SwapRecord['status']) => (record: SwapRecord) => record.status === status
/** The update stored right after `note` happened (the engine then starts a new step from fresh reads). */
const lastNote = (note: string) => (record: SwapRecord) => record.history.at(-1)?.note === note
const signedOf = (record: SwapRecord, purpose: string) =>
  new Set(record.history.filter((event) => event.note.startsWith(`${purpose} signed`)).map((e) => e.txid))

function mining(): PausableMiner {
  if (miner === undefined) throw new Error('the scene is not ready')
  return miner
}

/** A trader of the scene and the proxies it reaches its Bitcoin and EVM nodes through. */
interface ProxiedTrader {
  node: TradingNode
  bitcoin: RpcProxy
  evm: RpcProxy
}

async function proxiedTrader(
  name: string,
  funds: TraderFunds,
  extra: Partial<TradingNodeOptions>,
): Promise<ProxiedTrader> {
  const endpoints = scene.env.endpoints
  // No coin of the new wallet can be below this height (scene.trader funds it afterwards).
  const birthday = await scene.control.bitcoinRpc.getBlockCount()
  const [bitcoin, evm] = await Promise.all([
    RpcProxy.start(endpoints.bitcoin.rpcUrl),
    RpcProxy.start(endpoints.evm.rpcUrl),
  ])
  proxies.push(bitcoin, evm)
  const node = await scene.trader(name, funds, {
    bitcoin: {
      rpcUrl: bitcoin.url,
      auth: { user: endpoints.bitcoin.rpcUser, password: endpoints.bitcoin.rpcPassword },
      birthday,
    },
    evm: { rpcUrl: evm.url, chainId: endpoints.evm.chainId, htlcAddress: endpoints.evm.htlcAddress },
    ...extra,
  })
  return { node, bitcoin, evm }
}

interface Deal {
  maker: ProxiedTrader
  taker: ProxiedTrader
  makerBefore: Map<string, bigint>
  takerBefore: Map<string, bigint>
  /** The taker takes AMOUNT of the maker's order. */
  take(): Promise<SwapRecord>
}

/**
 * A maker and a taker on BTC/ETH with an order of the maker's in the taker's book. `side` 'sell': the maker
 * locks BTC and the taker ETH; 'buy': the maker locks ETH and the taker BTC. Each gets ETH for gas.
 */
async function deal(
  name: string,
  side: Side,
  extra: { both?: Partial<TradingNodeOptions>; maker?: Partial<TradingNodeOptions> } = {},
): Promise<Deal> {
  const maker = await proxiedTrader(
    `${name}-maker`,
    side === 'sell' ? { btc: BTC, eth: ETH } : { eth: 10n * ETH },
    { ...extra.both, ...extra.maker },
  )
  const taker = await proxiedTrader(
    `${name}-taker`,
    side === 'sell' ? { eth: 10n * ETH } : { btc: BTC, eth: ETH },
    { ...extra.both },
  )
  const market = scene.btcEth
  await openMarket(maker.node, taker.node, market)
  const order = await placeOrder(maker.node, taker.node, market, {
    side,
    amount: AMOUNT,
    minFill: AMOUNT,
    ...PRICE,
  })
  const [makerBefore, takerBefore] = await Promise.all([
    holdings(maker.node, ASSETS),
    holdings(taker.node, ASSETS),
  ])
  return {
    maker,
    taker,
    makerBefore,
    takerBefore,
    take: () => taker.node.trader.take({ orderId: hex(order.id), amount: AMOUNT }),
  }
}

/** Both traders complete the swap; resolves to what they ended short of (exact balances asserted). */
async function bothComplete(t: ExecutionContext, d: Deal, id: string): Promise<Map<string, bigint>> {
  const [m, k] = await Promise.all([
    d.maker.node.engine.waitFor(id, ended, SWAP_TIMEOUT_MS),
    d.taker.node.engine.waitFor(id, ended, SWAP_TIMEOUT_MS),
  ])
  t.is(m.status, 'completed', 'the maker completes')
  t.is(k.status, 'completed', 'the taker completes')
  const lost = new Map<string, bigint>()
  addLosses(lost, await assertBalances(t, d.maker.node, d.makerBefore, [m], ASSETS))
  addLosses(lost, await assertBalances(t, d.taker.node, d.takerBefore, [k], ASSETS))
  return lost
}

/** Polls `check` until it holds; TIMEOUT error after `timeoutMs`. */
async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = SWAP_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await sleep(25)
  }
}

const bitcoinConfirmations = async (txid: string): Promise<number> => {
  try {
    return (await scene.control.bitcoinRpc.getRawTransaction(txid)).confirmations
  } catch {
    return -1
  }
}

/** One trader's node made unreachable: at once, or once it has received a `loseReplyTo` request. */
interface Fault {
  trader: ProxiedTrader
  proxy: RpcProxy
  /** The JSON-RPC method whose request reaches the node but whose reply is lost as the node goes away. */
  loseReplyTo?: string
}

/** What a faulted trader did while its node was unreachable. */
interface OutageLog {
  /** Records it stored (each 'update' event). */
  updates: SwapRecord[]
  /** Failed ticks it reported. */
  errors: number
  storedAtStart: SwapRecord | undefined
  storedAtEnd: SwapRecord | undefined
}

/**
 * Takes the faults' nodes away the moment an update of `trigger` satisfies `when` (synchronously, before the
 * engine acts on what it stored), and logs what each faulted trader stores until `end()` brings them back.
 */
class Outage {
  /** Resolves when the trigger fired and every node is unreachable (after its lost reply, if any). */
  readonly down: Promise<void>
  readonly #faults: Fault[]
  readonly #detach: (() => void)[] = []
  readonly #logs = new Map<Fault, OutageLog>()
  #id: string | undefined

  constructor(trigger: ProxiedTrader, when: (record: SwapRecord) => boolean, faults: Fault[]) {
    this.#faults = faults
    this.down = new Promise<void>((resolve) => {
      const onUpdate = (record: SwapRecord) => {
        if (!when(record)) return
        trigger.node.engine.off('update', onUpdate)
        resolve(this.#start(record.id))
      }
      trigger.node.engine.on('update', onUpdate)
      this.#detach.push(() => trigger.node.engine.off('update', onUpdate))
    })
  }

  #start(id: string): Promise<void> {
    this.#id = id
    const cuts: Promise<void>[] = []
    for (const fault of this.#faults) {
      const engine = fault.trader.node.engine
      const log: OutageLog = {
        updates: [],
        errors: 0,
        storedAtStart: structuredClone(engine.get(id)),
        storedAtEnd: undefined,
      }
      this.#logs.set(fault, log)
      // Listeners added now miss the update being emitted (the trigger): only later ones are logged.
      const onUpdate = (record: SwapRecord) => log.updates.push(structuredClone(record))
      const onError = () => log.errors++
      engine.on('update', onUpdate)
      engine.on('error', onError)
      this.#detach.push(() => {
        engine.off('update', onUpdate)
        engine.off('error', onError)
      })
      if (fault.loseReplyTo === undefined) fault.proxy.cut()
      else cuts.push(fault.proxy.cutAfter(fault.loseReplyTo))
    }
    return Promise.all(cuts).then(() => {})
  }

  /** Brings every node back; what each faulted trader did meanwhile, in the order the faults were given. */
  end(): OutageLog[] {
    for (const detach of this.#detach) detach()
    const logs = this.#faults.map((fault) => {
      fault.proxy.restore()
      const log = this.#logs.get(fault)
      if (log === undefined || this.#id === undefined) throw new Error('the outage never started')
      log.storedAtEnd = structuredClone(fault.trader.node.engine.get(this.#id))
      return log
    })
    return logs
  }
}

/** Backend errors advanced nothing: no update, the stored record unchanged; and the outage did bite. */
function assertFrozen(t: ExecutionContext, logs: OutageLog[], who: string[]): void {
  logs.forEach((log, i) => {
    const name = who[i] ?? `trader ${i}`
    t.deepEqual(
      log.updates.map((record) => `${record.status}: ${record.history.at(-1)?.note}`),
      [],
      `${name} stored nothing while its node was unreachable`,
    )
    t.deepEqual(log.storedAtEnd, log.storedAtStart, `${name}'s stored swap is unchanged`)
    t.true(log.errors > 0, `${name}'s engine reported the unreachable node`)
  })
}

/** Per chain: which way the maker trades so that its claim is on that chain, and how a claim is seen mined. */
const OUTAGES = [
  {
    chain: 'Bitcoin',
    // The maker locks ETH, the taker BTC; the maker's BTC claim reveals the secret to the taker.
    side: 'buy',
    proxy: (trader: ProxiedTrader) => trader.bitcoin,
    sendMethod: 'sendrawtransaction',
    mined: async (txid: string) => (await bitcoinConfirmations(txid)) >= 1,
  },
  {
    chain: 'EVM',
    // The maker locks BTC, the taker ETH; the maker's ETH claim reveals the secret to the taker.
    side: 'sell',
    proxy: (trader: ProxiedTrader) => trader.evm,
    sendMethod: 'eth_sendRawTransaction',
    mined: async (txid: string) => (await scene.control.evmProvider.getTransactionReceipt(txid)) !== null,
  },
] as const

for (const outage of OUTAGES) {
  test.serial(`${outage.chain} RPC unreachable mid-swap, for the maker and then for both`, async (t) => {
    await faultCase(t, 'chain', async () => {
      const d = await deal(`${outage.chain.toLowerCase()}-rpc`, outage.side)
      const { maker, taker } = d
      // The maker's node goes away once its lock is out; its lock confirms and the taker locks meanwhile.
      const waiting = new Outage(maker, lastNote('lock broadcast'), [
        { trader: maker, proxy: outage.proxy(maker) },
      ])
      // As the maker broadcasts its claim, the node takes it but the reply is lost; the taker's node is away too.
      const claiming = new Outage(maker, reached('claim-signed'), [
        { trader: maker, proxy: outage.proxy(maker), loseReplyTo: outage.sendMethod },
        { trader: taker, proxy: outage.proxy(taker) },
      ])
      const swap = await d.take()

      await waiting.down
      await taker.node.engine.waitFor(swap.id, reached('locked'), SWAP_TIMEOUT_MS)
      await sleep(OUTAGE_HOLD_MS)
      assertFrozen(t, waiting.end(), ['the maker'])

      await claiming.down
      const claim = maker.node.engine.get(swap.id)?.pending.find((tx) => tx.purpose === 'claim')
      if (claim === undefined) throw new Error('no claim pending')
      await until('the claim is mined', () => outage.mined(claim.txid))
      await sleep(OUTAGE_HOLD_MS)
      assertFrozen(t, claiming.end(), ['the maker', 'the taker'])

      const lost = await bothComplete(t, d, swap.id)
      const m = maker.node.engine.get(swap.id)
      t.deepEqual(m && [...signedOf(m, 'claim')], [claim.txid], 'the claim that got through is the only one')
      return { fundsLost: lost }
    })
  })
}

/** The lock of `role`'s leg as the trader `by` found it on chain. */
const lockOf = (by: ProxiedTrader, id: string, role: 'maker' | 'taker') =>
  by.node.engine.get(id)?.[role === 'maker' ? 'makerLock' : 'takerLock']

/**
 * Per chain: the maker's side that puts its lock there, two confirmations required there, how a transaction
 * is seen mined, how the lock's block is taken away (with what then holds no block), and how mining goes on.
 */
const REORGS = [
  {
    chain: 'Bitcoin',
    side: 'sell',
    confirmations: { bitcoin: 2, evm: 1 },
    mined: async (txid: string) => (await bitcoinConfirmations(txid)) >= 1,
    // The lock's block is invalidated: the lock is back in the mempool, and nothing confirms it for a while.
    reorgOut: async (t: ExecutionContext, txid: string) => {
      await mining().pause()
      const { blockHash } = await scene.control.bitcoinRpc.getRawTransaction(txid)
      if (blockHash === undefined) throw new Error('the lock has no block')
      await scene.control.bitcoinRpc.invalidateBlock(blockHash)
      t.is(await bitcoinConfirmations(txid), 0, 'the lock is back in the mempool')
    },
    resume: async () => mining().resume(),
    mineOne: async () => {
      await scene.control.mineBitcoin(1)
    },
  },
  {
    chain: 'EVM',
    side: 'buy',
    confirmations: { bitcoin: 1, evm: 2 },
    mined: async (txid: string) => (await scene.control.evmProvider.getTransactionReceipt(txid)) !== null,
    // The blocks from the lock's up are replaced by empty ones: the lock is gone, from the pool too.
    reorgOut: async (t: ExecutionContext, txid: string) => {
      const provider = scene.control.evmProvider
      const receipt = await provider.getTransactionReceipt(txid)
      if (receipt === null) throw new Error('the lock has no receipt')
      await provider.send('evm_setAutomine', [false])
      await provider.send('anvil_reorg', [(await provider.getBlockNumber()) - receipt.blockNumber + 1, []])
      t.is(await provider.getTransactionReceipt(txid), null, 'the lock is off the chain')
    },
    // Automine mines what waits in the pool (the lock, if the maker sent it again).
    resume: async () => {
      await scene.control.evmProvider.send('evm_setAutomine', [true])
    },
    mineOne: async () => {
      await scene.control.evmProvider.send('evm_mine', [])
    },
  },
] as const

for (const reorg of REORGS) {
  test.serial(
    `${reorg.chain} lock reorganised out below its confirmations: the taker waits, the swap completes`,
    async (t) => {
      await faultCase(t, 'chain', async () => {
        // Two confirmations required: the maker's lock at depth 1 is not enough for the taker.
        const d = await deal(`${reorg.chain.toLowerCase()}-reorg`, reorg.side, {
          both: { confirmations: reorg.confirmations },
        })
        const { maker, taker } = d
        const swap = await d.take()

        await until('the maker lock is mined', async () => {
          const lock = lockOf(maker, swap.id, 'maker')
          return lock !== undefined && (await reorg.mined(lock.txid))
        })
        const lock = lockOf(maker, swap.id, 'maker')
        if (lock === undefined) throw new Error('no maker lock')
        await until('the taker sees the lock', async () => lockOf(taker, swap.id, 'maker') !== undefined)
        await sleep(500)
        t.is(taker.node.engine.get(swap.id)?.status, 'negotiated', 'one confirmation of two: the taker waits')

        try {
          await reorg.reorgOut(t, lock.txid)
          await sleep(REORG_HOLD_MS)
          const k = taker.node.engine.get(swap.id)
          t.is(k?.status, 'negotiated', 'the taker does not lock against a lock that is off the chain')
          t.is(k && signedOf(k, 'lock').size, 0, 'the taker signed nothing')
          const m = maker.node.engine.get(swap.id)
          t.is(m?.status, 'lock-signed', 'the maker waits for its lock to confirm')
          t.deepEqual(m && [...signedOf(m, 'lock')], [lock.txid], 'the maker signed no second lock')
        } finally {
          await reorg.resume()
        }
        await until('the lock is mined again', () => reorg.mined(lock.txid))
        await reorg.mineOne()
        return { fundsLost: await bothComplete(t, d, swap.id) }
      })
    },
  )
}

/** Fee rate of a Bitcoin HTLC spend of `locked` sats, as fee and virtual size (compare by cross-multiplying). */
function spendFee(raw: string, locked: bigint): { fee: bigint; vsize: bigint } {
  const tx = parseTransaction(raw)
  const paid = tx.outs.reduce((sum, out) => sum + BigInt(out.value), 0n)
  return { fee: locked - paid, vsize: BigInt(tx.virtualSize()) }
}

test.serial('Bitcoin claim stuck at a low fee rate: replaced at a higher one, which confirms', async (t) => {
  await faultCase(t, 'chain', async () => {
    // The maker locks ETH and claims the taker's BTC; its claim is replaced after 2 s unconfirmed.
    const d = await deal('stuck-claim', 'buy', { maker: { feeBumpAfterMs: 2000 } })
    const { maker } = d
    const rpc = scene.control.bitcoinRpc
    // Nothing is mined from the moment the maker is about to claim.
    const stopMining = (record: SwapRecord) => {
      if (record.status !== 'counter-locked') return
      maker.node.engine.off('update', stopMining)
      void mining().pause()
    }
    maker.node.engine.on('update', stopMining)
    try {
      const swap = await d.take()
      const broadcast = (record: SwapRecord) =>
        record.history.filter((event) => event.note === 'claim broadcast').map((event) => event.txid)
      const first = await maker.node.engine.waitFor(
        swap.id,
        (record) => broadcast(record).length > 0,
        SWAP_TIMEOUT_MS,
      )
      const original = first.pending.find((tx) => tx.purpose === 'claim')
      if (original === undefined) throw new Error('no claim pending')
      t.is(await bitcoinConfirmations(original.txid), 0, 'the claim waits in the mempool')

      const bumped = await maker.node.engine.waitFor(
        swap.id,
        (record) => broadcast(record).length > 1,
        SWAP_TIMEOUT_MS,
      )
      const replacement = bumped.pending.find((tx) => tx.purpose === 'claim' && tx.txid !== original.txid)
      if (replacement === undefined) throw new Error('no replacement pending')
      t.is(bumped.status, 'claim-signed', 'the maker waits for a claim to confirm')
      t.true((replacement.feeRate ?? 0n) > (original.feeRate ?? 0n), 'the replacement pays more per vbyte')
      const mempool = await rpc.getRawMempool()
      t.true(mempool.includes(replacement.txid), 'the replacement is in the mempool')
      t.false(mempool.includes(original.txid), 'it replaced the first claim')

      mining().resume()
      const lost = await bothComplete(t, d, swap.id)
      t.true((await bitcoinConfirmations(replacement.txid)) >= 1, 'the replacement confirmed')
      t.is(await bitcoinConfirmations(original.txid), -1, 'the first claim is gone')
      const locked = swap.takerLeg.amount
      const low = spendFee(original.raw, locked)
      const high = spendFee(replacement.raw, locked)
      t.true(high.fee * low.vsize > low.fee * high.vsize, 'the confirmed claim pays a higher fee rate')
      return { fundsLost: lost }
    } finally {
      maker.node.engine.off('update', stopMining)
      mining().resume()
    }
  })
})
