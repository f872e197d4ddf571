import { randomBytes } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import bcoin, { type Address, type Chain, type Coin, type FullNode, type TX } from 'bcoin'
import { SwarmswapError } from '../src/errors.js'
import { RegtestClock } from './bitcoin-clock.js'
import { coreMethods } from './bitcoin-core-methods.js'
import { CoreRpcServer } from './bitcoin-core-rpc.js'
import { RegtestMiner, throwawayAddress } from './bitcoin-miner.js'
import { freePort } from './ports.js'

export type MiningMode = { mode: 'automine' } | { mode: 'interval'; seconds: number } | { mode: 'manual' }

export interface BitcoinNodeOptions {
  /** RPC port on 127.0.0.1; a free one when omitted. */
  port?: number
  /** Chain data directory, kept across restarts (and SIGKILL); omitted means in memory. */
  datadir?: string
  /** Default automine: a block as soon as transactions enter the mempool, before sendrawtransaction answers. */
  mining?: MiningMode
  rpcUser?: string
  /** Random when omitted. */
  rpcPassword?: string
}

/** BIP9 activates segwit and CSV on bcoin's regtest at this height. */
const SOFTFORK_HEIGHT = 432

/**
 * Core's regtest prefixes (bcrt1..., m/n..., 2..., private keys 0xef) instead of bcoin's own, so addresses
 * and keys round-trip with bitcoinjs-lib's `networks.regtest` and Bitcoin Core. Mutates bcoin's shared
 * network table in place; idempotent.
 */
function useCoreRegtestPrefixes(): void {
  const regtest = bcoin.networks.regtest
  Object.assign(regtest.addressPrefix, { bech32: 'bcrt', pubkeyhash: 0x6f, scripthash: 0xc4 })
  regtest.keyPrefix.privkey = 0xef
}

/**
 * A bcoin full node in this process that answers Bitcoin Core's JSON-RPC on 127.0.0.1 (see
 * bitcoin-core-methods.ts for the dialect), with no P2P, segwit and CSV active, and anvil-like mining modes.
 * `ready()` and `close()` are safe to call twice.
 */
export class BitcoinNode {
  readonly options: BitcoinNodeOptions
  readonly rpcUser: string
  readonly rpcPassword: string
  private boundPort = 0
  private node: FullNode | null = null
  private server: CoreRpcServer | null = null
  private miner: RegtestMiner | null = null
  private clock: RegtestClock | null = null
  private timer: NodeJS.Timeout | null = null
  private opening: Promise<void> | null = null
  private closing: Promise<void> | null = null
  /** bcoin reports background failures as 'error' events; kept for diagnosis instead of crashing the process. */
  readonly errors: Error[] = []

  constructor(options: BitcoinNodeOptions = {}) {
    this.options = options
    this.rpcUser = options.rpcUser ?? 'swarmswap'
    this.rpcPassword = options.rpcPassword ?? randomBytes(16).toString('hex')
  }

  get port(): number {
    return this.boundPort
  }

  get rpcUrl(): string {
    return `http://127.0.0.1:${this.boundPort}`
  }

  ready(): Promise<void> {
    if (this.closing !== null) return Promise.reject(new SwarmswapError('CLOSED', 'BitcoinNode was closed'))
    this.opening ??= this.open()
    return this.opening
  }

  close(): Promise<void> {
    this.closing ??= this.stop()
    return this.closing
  }

  /** Mines `count` blocks to `address` (a throwaway address when omitted); resolves to their hashes. */
  async mine(count: number, address?: string): Promise<string[]> {
    return await this.running().miner.mine(
      count,
      address === undefined ? throwawayAddress() : parseAddress(address),
    )
  }

  /** Bitcoin Core's setmocktime: freezes the node's clock at `unixSeconds`; 0 returns to the system clock. */
  async setMockTime(unixSeconds: number): Promise<void> {
    this.running().clock.setMockTime(unixSeconds)
  }

  /**
   * Moves the clock to `unixSeconds` + 1 if it is behind and mines until the tip's median-time-past is
   * strictly greater than `unixSeconds`, so a transaction time-locked (CLTV, BIP113) to `unixSeconds` is final
   * for the next block and accepted by the mempool. Resolves to the hashes of the blocks mined.
   */
  async advanceTimeTo(unixSeconds: number): Promise<string[]> {
    const { node, miner, clock } = this.running()
    clock.skipTo(unixSeconds + 1)
    const hashes: string[] = []
    while ((await node.chain.getMedianTime(node.chain.tip)) <= unixSeconds)
      hashes.push(...(await miner.mine(1)))
    return hashes
  }

  private running(): { node: FullNode; miner: RegtestMiner; clock: RegtestClock } {
    if (this.node === null || this.miner === null || this.clock === null || this.closing !== null) {
      throw new SwarmswapError('CLOSED', 'BitcoinNode is not running (call ready() first)')
    }
    return { node: this.node, miner: this.miner, clock: this.clock }
  }

  private async open(): Promise<void> {
    useCoreRegtestPrefixes()
    this.boundPort = this.options.port ?? (await freePort())
    const { datadir } = this.options
    if (datadir !== undefined) await mkdir(datadir, { recursive: true })
    const node = new bcoin.FullNode({
      network: 'regtest',
      memory: datadir === undefined,
      ...(datadir === undefined ? {} : { prefix: datadir }),
      workers: false,
      listen: false,
      indexTX: true,
      httpHost: '127.0.0.1',
      httpPort: this.boundPort,
      logLevel: 'error',
      logConsole: false,
      logFile: false,
    })
    // bcoin's own HTTP server speaks bcoin's dialect; the Core-dialect server below takes its port instead.
    node.http.open = async () => {}
    node.http.close = async () => {}
    // No P2P: nothing to resync after invalidateblock. bcoin's pool asserts it is connected there, which would
    // abort the chain's 'reset' event before the mempool is reset to the new tip.
    node.pool.forceSync = () => {}
    node.on('error', (error: Error) => this.errors.push(error))
    replaceByFee(node)
    this.node = node
    try {
      await node.ensure()
      await node.open()
    } catch (error) {
      this.node = null
      throw new SwarmswapError('PROCESS_FAILED', `bcoin failed to open: ${String(error)}`, { cause: error })
    }
    const clock = new RegtestClock(node.network)
    const miner = new RegtestMiner(node, clock)
    this.clock = clock
    this.miner = miner
    if (node.chain.height < SOFTFORK_HEIGHT) await miner.mineBackdated(SOFTFORK_HEIGHT - node.chain.height)
    const mining = this.options.mining ?? { mode: 'automine' }
    const methods = coreMethods({
      node,
      mine: (count, address) => miner.mine(count, address),
      accepted: () => (mining.mode === 'automine' ? miner.mineSoon() : Promise.resolve()),
      setMockTime: (unixSeconds) => clock.setMockTime(unixSeconds),
    })
    this.server = new CoreRpcServer({
      host: '127.0.0.1',
      port: this.boundPort,
      user: this.rpcUser,
      password: this.rpcPassword,
      methods,
    })
    await this.server.listen()
    if (mining.mode === 'interval') {
      this.timer = setInterval(() => {
        miner.mine(1).catch((error: Error) => this.errors.push(error))
      }, mining.seconds * 1000)
    }
  }

  private async stop(): Promise<void> {
    await this.opening?.catch(() => {})
    if (this.timer !== null) clearInterval(this.timer)
    await this.server?.close()
    await this.miner?.idle()
    if (this.node !== null) await this.node.close()
  }
}

function parseAddress(address: string): Address {
  try {
    return bcoin.Address.fromString(address, 'regtest')
  } catch (error) {
    throw new SwarmswapError('INVALID_ARGUMENT', `not a regtest address: ${address}`, { cause: error })
  }
}

/** The parts of bcoin's mempool that replacement needs beyond types/bcoin.d.ts. */
interface ReplaceableMempool {
  /** Entries by txid (bcoin's internal byte order). */
  map: Map<string, unknown>
  addTX(tx: TX): Promise<string[] | null>
  getCoin(hash: string, index: number): Coin | null
  /** The mempool entry spending an outpoint. */
  getSpent(hash: string, index: number): MempoolTx | undefined
  /** Removes an entry and everything in the mempool that spends it. */
  evictEntry(entry: MempoolTx): void
  /** Satoshis per kvB. */
  options: { minRelay: number }
}

interface MempoolTx {
  tx: TX
  /** Satoshis. */
  fee: number
}

/**
 * Bitcoin Core's replace-by-fee (v28+, full RBF; BIP125 rules 3, 4 and 6) on bcoin's mempool. bcoin 1.0.2
 * never replaces: it refuses every spend of an outpoint a mempool transaction already spends, and its
 * `replaceByFee` option only lets version-1 transactions signal BIP125. Here a conflicting transaction
 * replaces the ones it conflicts with (and their descendants) when its fee rate is higher than each of theirs
 * and its fee covers all of theirs plus its own size at the minimum relay rate; otherwise it is refused with
 * Core's "insufficient fee" reasons.
 */
function replaceByFee(node: FullNode): void {
  const mempool = node.mempool as unknown as ReplaceableMempool
  const add = mempool.addTX.bind(mempool)
  mempool.addTX = async (tx) => {
    // A transaction already in the mempool is no replacement of itself: bcoin reports it as known.
    if (mempool.map.has(tx.hash('hex'))) return await add(tx)
    const conflicts = new Map<string, MempoolTx>()
    for (const { prevout } of tx.inputs) {
      const entry = mempool.getSpent(prevout.hash, prevout.index)
      if (entry !== undefined) conflicts.set(entry.tx.hash('hex'), entry)
    }
    const fee = conflicts.size === 0 ? null : await feeOf(tx, mempool, node.chain)
    // No conflict, or inputs bcoin will report missing: nothing to replace.
    if (fee === null) return await add(tx)
    const replaced = withDescendants(mempool, [...conflicts.values()])
    const refusal = replacementRefusal(tx, fee, [...conflicts.values()], replaced, mempool.options.minRelay)
    if (refusal !== null) {
      throw Object.assign(new Error(refusal), {
        type: 'VerifyError',
        code: 'insufficientfee',
        reason: refusal,
      })
    }
    for (const entry of conflicts.values()) mempool.evictEntry(entry)
    try {
      return await add(tx)
    } catch (error) {
      for (const entry of replaced) await add(entry.tx).catch(() => null)
      throw error
    }
  }
}

/** Inputs minus outputs in satoshis, or null when an input's coin is unknown. */
async function feeOf(tx: TX, mempool: ReplaceableMempool, chain: Chain): Promise<number | null> {
  let fee = 0
  for (const { prevout } of tx.inputs) {
    const coin =
      mempool.getCoin(prevout.hash, prevout.index) ?? (await chain.getCoin(prevout.hash, prevout.index))
    if (coin === null) return null
    fee += coin.value
  }
  for (const output of tx.outputs) fee -= output.value
  return fee
}

function withDescendants(mempool: ReplaceableMempool, entries: MempoolTx[]): MempoolTx[] {
  const found = new Map<string, MempoolTx>()
  const visit = (entry: MempoolTx): void => {
    const hash = entry.tx.hash('hex')
    if (found.has(hash)) return
    found.set(hash, entry)
    entry.tx.outputs.forEach((_, index) => {
      const child = mempool.getSpent(hash, index)
      if (child !== undefined) visit(child)
    })
  }
  for (const entry of entries) visit(entry)
  return [...found.values()]
}

/** Core's reject reason (policy/rbf.cpp) when `tx` may not replace, or null when it may. */
function replacementRefusal(
  tx: TX,
  fee: number,
  conflicts: MempoolTx[],
  replaced: MempoolTx[],
  minRelay: number,
): string | null {
  const txid = tx.txid()
  const size = tx.getVirtualSize()
  const rate = Math.floor((fee * 1000) / size)
  for (const entry of conflicts) {
    const oldRate = Math.floor((entry.fee * 1000) / entry.tx.getVirtualSize())
    if (rate <= oldRate) {
      return `insufficient fee, rejecting replacement ${txid}; new feerate ${btcPerKvB(rate)} <= old feerate ${btcPerKvB(oldRate)}`
    }
  }
  const replacedFees = replaced.reduce((sum, entry) => sum + entry.fee, 0)
  if (fee < replacedFees) {
    return `insufficient fee, rejecting replacement ${txid}, less fees than conflicting txs; ${money(fee)} < ${money(replacedFees)}`
  }
  const required = Math.floor((minRelay * size) / 1000)
  if (fee - replacedFees < required) {
    return `insufficient fee, rejecting replacement ${txid}, not enough additional fees to relay; ${money(fee - replacedFees)} < ${money(required)}`
  }
  return null
}

/** Core's CFeeRate::ToString. */
function btcPerKvB(satsPerKvB: number): string {
  return `${btc(satsPerKvB)} BTC/kvB`
}

/** Core's FormatMoney: 8 decimals with trailing zeros trimmed down to 2. */
function money(sats: number): string {
  return btc(sats).replace(/(\.\d\d\d*?)0+$/, '$1')
}

/** Non-negative satoshis as BTC with 8 decimals, without floating point. */
function btc(sats: number): string {
  const value = BigInt(sats)
  return `${value / 100_000_000n}.${(value % 100_000_000n).toString().padStart(8, '0')}`
}
