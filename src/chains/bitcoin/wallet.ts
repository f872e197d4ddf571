/**
 * swarmswap's Bitcoin wallet: a BIP84 (P2WPKH) HD wallet from a BIP39 mnemonic that keeps its own coin
 * records by reading blocks and the mempool over Bitcoin Core's JSON-RPC. It never uses the node's wallet,
 * so it works the same against bitcoind and the embedded bcoin node. It signs locally and holds no state
 * on disk: a new instance from the same mnemonic (and a birthday at or before its first coin) rescans to
 * the same coins.
 *
 * Every method that reads the chain first brings the wallet up to date with the node (`sync()`), and such
 * calls run one at a time, so two `sendTo` calls in a row never spend the same coin.
 */
import { SwarmswapError } from '../../errors.js'
import { selectCoins } from './coin-selection.js'
import type { bitcoin } from './ecc.js'
import { type FeeRatePolicy, resolveFeeRate } from './fees.js'
import { type BitcoinNetworkName, bitcoinNetwork } from './networks.js'
import type { BitcoinRpc } from './rpc.js'
import { parseTransaction } from './transaction.js'
import { AddressBook, type OwnedScript } from './wallet-addresses.js'
import {
  type AddressBranch,
  Bip84Account,
  CHANGE_BRANCH,
  RECEIVE_BRANCH,
  type SwapKey,
  seedFromMnemonic,
} from './wallet-keys.js'
import {
  type Balance,
  balanceOf,
  confirmations,
  isSpendable,
  outpointKey,
  WalletLedger,
} from './wallet-ledger.js'
import { type SendRequest, type SignedSend, signSend, validateSendRequest } from './wallet-send.js'

export type { SwapKey } from './wallet-keys.js'
export type { Balance } from './wallet-ledger.js'
export type { PaymentOutput, SendOutput, SendRequest, SignedSend } from './wallet-send.js'

/** The node calls the wallet makes. */
export type WalletRpc = Pick<
  BitcoinRpc,
  | 'mempoolAtTip'
  | 'getBlockHash'
  | 'getBlock'
  | 'getRawTransaction'
  | 'sendRawTransaction'
  | 'estimateSmartFee'
>

export interface BitcoinWalletOptions {
  rpc: WalletRpc
  network: BitcoinNetworkName
  /** BIP39 English mnemonic. */
  mnemonic: string
  /** BIP39 passphrase ("25th word"); default empty. */
  passphrase?: string
  /** BIP84 account number; default 0. */
  account?: number
  /**
   * First block height that can hold a coin of this wallet; scanning starts there. Default 0 (a full
   * rescan). A new wallet should record the current height and pass it on every later start.
   */
  birthday?: number
  /** Unused addresses derived ahead on each branch (BIP44's gap limit); default 20. */
  gapLimit?: number
  /**
   * sat/vB when the node has no fee estimate. Default 2n on regtest (where there never is one) and none
   * elsewhere, so a mainnet wallet without an estimate refuses to guess (NOT_FOUND).
   */
  fallbackFeeRate?: bigint
  /** Cap in sat/vB on any fee rate used, estimated or passed in; default 1000n. */
  maxFeeRate?: bigint
}

/** A coin as `listCoins()` shows it. */
export interface CoinInfo {
  txid: string
  vout: number
  value: bigint
  address: string
  /** 0 while unconfirmed. */
  confirmations: number
  coinbase: boolean
  /** Unspent, mature and not reserved: a send may pick it. */
  spendable: boolean
  /** Tag of the reservation holding it, if any. */
  reservedBy: string | null
  /** Txid of an unconfirmed transaction that spends it, if any. */
  spentBy: string | null
}

/** Where a watched scriptPubKey comes from. */
export interface AddressInfo {
  address: string
  branch: AddressBranch
  index: number
  /** Full BIP32 path of its key. */
  path: string
}

const DEFAULT_GAP_LIMIT = 20
const DEFAULT_MAX_FEE_RATE = 1000n
const REGTEST_FALLBACK_FEE_RATE = 2n
/** Confirmation target used when a send gives no fee rate. */
const DEFAULT_CONF_TARGET = 6
/** Blocks fetched concurrently while scanning. */
const SCAN_BATCH = 16
/** Times one sync restarts because the node's tip moved while it was reading. */
const SYNC_ATTEMPTS = 5

interface KnownTx {
  txid: string
  tx: bitcoin.Transaction
}

export class BitcoinWallet {
  readonly network: BitcoinNetworkName
  private readonly rpc: WalletRpc
  private readonly account: Bip84Account
  private readonly addresses: AddressBook
  private readonly ledger: WalletLedger
  private readonly birthday: number
  private readonly feePolicy: FeeRatePolicy
  /** Block hash per scanned height, to notice reorgs. */
  private readonly blockHashes = new Map<number, string>()
  /** Highest scanned height (birthday - 1 before the first block). */
  private scanned: number
  /** The node's mempool as of the last sync, decoded once per transaction. */
  private mempool = new Map<string, KnownTx>()
  /** Transactions this wallet broadcast that the last sync has not yet seen confirmed. */
  private readonly broadcasted = new Map<string, KnownTx>()
  /** Outpoint key -> reservation tag. */
  private readonly reservations = new Map<string, string>()
  /** performance.now() at the start of the last sync that finished (see syncSince). */
  private lastSyncStart = Number.NEGATIVE_INFINITY
  private queue: Promise<unknown> = Promise.resolve()
  private opening: Promise<void> | null = null
  private closed = false

  constructor(options: BitcoinWalletOptions) {
    const birthday = options.birthday ?? 0
    const gapLimit = options.gapLimit ?? DEFAULT_GAP_LIMIT
    if (!Number.isSafeInteger(birthday) || birthday < 0) {
      throw new SwarmswapError('INVALID_ARGUMENT', 'birthday must be a block height', {
        details: { birthday },
      })
    }
    if (!Number.isSafeInteger(gapLimit) || gapLimit < 1) {
      throw new SwarmswapError('INVALID_ARGUMENT', 'gapLimit must be a positive integer', {
        details: { gapLimit },
      })
    }
    const maxFeeRate = options.maxFeeRate ?? DEFAULT_MAX_FEE_RATE
    const fallback =
      options.fallbackFeeRate ?? (options.network === 'regtest' ? REGTEST_FALLBACK_FEE_RATE : undefined)
    if (maxFeeRate < 1n || (fallback !== undefined && (fallback < 1n || fallback > maxFeeRate))) {
      throw new SwarmswapError(
        'INVALID_ARGUMENT',
        'fee rates must satisfy 1 <= fallbackFeeRate <= maxFeeRate',
        {
          details: { fallbackFeeRate: fallback, maxFeeRate },
        },
      )
    }
    this.network = options.network
    this.rpc = options.rpc
    this.account = new Bip84Account(
      seedFromMnemonic(options.mnemonic, options.passphrase),
      bitcoinNetwork(options.network),
      options.account,
    )
    this.addresses = new AddressBook(this.account, gapLimit)
    this.ledger = new WalletLedger((script) => this.addresses.lookup(script))
    this.birthday = birthday
    this.scanned = birthday - 1
    this.feePolicy = { fallback, max: maxFeeRate }
  }

  /**
   * Performs the first sync. Safe to call twice (and concurrently): later calls share the first. If it
   * fails (node unreachable), the error is returned and a later ready() tries again.
   */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(new SwarmswapError('CLOSED', 'the wallet was closed'))
    this.opening ??= this.exclusive(() => this.syncOnce()).catch((error: unknown) => {
      this.opening = null
      throw error
    })
    return this.opening
  }

  /** Stops the wallet; calls after this fail with CLOSED. Safe to call twice; waits for a running call. */
  async close(): Promise<void> {
    this.closed = true
    await this.queue.catch(() => {})
  }

  /** Height of the best block the wallet has scanned. */
  get height(): number {
    return this.scanned
  }

  /** Account extended public key (zpub on mainnet, vpub elsewhere): watch-only export. */
  get extendedPublicKey(): string {
    return this.account.extendedPublicKey
  }

  /** A receive address never handed out by this instance nor seen on chain. */
  receiveAddress(): string {
    return this.addresses.next(RECEIVE_BRANCH).address
  }

  /** A fresh change address (what `send` uses when no `changeAddress` is given). */
  changeAddress(): string {
    return this.addresses.next(CHANGE_BRANCH).address
  }

  /** The address at a BIP84 index (branch 0 receive, 1 change), whether handed out or not. */
  addressAt(branch: AddressBranch, index: number): string {
    return this.addresses.get(branch, index).address
  }

  /** Which wallet key a scriptPubKey (bytes or hex) pays, if it is one of the watched addresses. */
  lookup(scriptPubKey: Uint8Array | string): AddressInfo | undefined {
    const script = typeof scriptPubKey === 'string' ? Buffer.from(scriptPubKey, 'hex') : scriptPubKey
    const owned = this.addresses.lookup(script)
    return owned === undefined ? undefined : this.describe(owned)
  }

  /**
   * The claim/refund key of the swap the caller numbered `index` (path `m/84'/coin'/account'/2/index`).
   * The caller must persist which index each swap used and never give two swaps the same one.
   */
  swapKey(index: number): SwapKey {
    return this.account.swapKey(index)
  }

  /**
   * Brings the wallet up to date: scans new blocks from the birthday (rewinding and rescanning past a
   * reorg), then reads the mempool for unconfirmed payments and spends.
   */
  sync(): Promise<void> {
    return this.whenOpen(() => this.syncOnce())
  }

  async balance(): Promise<Balance> {
    const requestedAt = performance.now()
    return await this.whenOpen(async () => {
      await this.syncSince(requestedAt)
      return balanceOf(this.ledger.coins(), this.scanned)
    })
  }

  /**
   * Every unspent coin (including immature, reserved and mempool-spent ones). `maxSyncAgeMs` as for `send`:
   * a sync started at most this long ago will do, so only coins received since can be missing.
   */
  async listCoins(options: { maxSyncAgeMs?: number } = {}): Promise<CoinInfo[]> {
    const requestedAt = performance.now() - (options.maxSyncAgeMs ?? 0)
    return await this.whenOpen(async () => {
      await this.syncSince(requestedAt)
      return this.ledger.coins().map((coin) => {
        const reservedBy = this.reservations.get(outpointKey(coin.txid, coin.vout)) ?? null
        return {
          txid: coin.txid,
          vout: coin.vout,
          value: coin.value,
          address: coin.owner.address,
          confirmations: confirmations(coin, this.scanned),
          coinbase: coin.coinbase,
          spendable: reservedBy === null && isSpendable(coin, this.scanned),
          reservedBy,
          spentBy: coin.spentBy,
        }
      })
    })
  }

  /**
   * Holds coins for `tag` (e.g. a swap id): sends skip them unless they name the tag as `reservation`.
   * INVALID_ARGUMENT, reserving nothing, if an outpoint is not an unspent coin of this wallet or is held
   * under another tag. Reservations live in memory only; the caller re-reserves after a restart.
   */
  async reserve(outpoints: readonly { txid: string; vout: number }[], tag: string): Promise<void> {
    const requestedAt = performance.now()
    await this.whenOpen(async () => {
      if (tag.length === 0) throw new SwarmswapError('INVALID_ARGUMENT', 'a reservation needs a tag')
      const keys = outpoints.map(({ txid, vout }) => outpointKey(txid, vout))
      // Coins the last sync already knows unspent need no new sync (a send reserving the inputs it just
      // picked); a coin it does not know may have arrived since. A coin spent since is harmless to hold.
      if (this.refusedReservation(keys, tag) !== undefined) await this.syncSince(requestedAt)
      const refused = this.refusedReservation(keys, tag)
      if (refused !== undefined) {
        throw new SwarmswapError('INVALID_ARGUMENT', `cannot reserve ${refused.outpoint}`, {
          details: refused,
        })
      }
      for (const key of keys) this.reservations.set(key, tag)
    })
  }

  /** The first outpoint of `keys` that is not an unspent coin free for `tag` in the ledger, and why. */
  private refusedReservation(
    keys: readonly string[],
    tag: string,
  ): { outpoint: string; reservedBy: string | null; unspent: boolean } | undefined {
    const unspent = new Set(
      this.ledger
        .coins()
        .filter((coin) => coin.spentBy === null)
        .map((coin) => outpointKey(coin.txid, coin.vout)),
    )
    for (const key of keys) {
      const holder = this.reservations.get(key)
      if (!unspent.has(key) || (holder !== undefined && holder !== tag)) {
        return { outpoint: key, reservedBy: holder ?? null, unspent: unspent.has(key) }
      }
    }
    return undefined
  }

  /** Frees every coin reserved under `tag`. */
  release(tag: string): void {
    for (const [key, holder] of this.reservations) if (holder === tag) this.reservations.delete(key)
  }

  /**
   * sat/vB for confirmation within `confTarget` blocks: the node's estimatesmartfee, or the configured
   * fallback when it has none, clamped to [1, maxFeeRate].
   */
  async feeRate(confTarget = DEFAULT_CONF_TARGET): Promise<bigint> {
    if (!Number.isSafeInteger(confTarget) || confTarget < 1 || confTarget > 1008) {
      throw new SwarmswapError('INVALID_ARGUMENT', 'confTarget must be an integer in [1, 1008]', {
        details: { confTarget },
      })
    }
    return resolveFeeRate(await this.rpc.estimateSmartFee(confTarget), this.feePolicy)
  }

  /**
   * Selects coins and signs a transaction paying `request.outputs`; does not broadcast. Nothing is
   * recorded: until `broadcast(hex)` the same coins stay available. Throws INVALID_ARGUMENT for a bad
   * request and INSUFFICIENT_FUNDS ({ needed, available }) when the spendable coins do not cover it.
   * `maxSyncAgeMs`: the coins as a sync started at most this long ago saw them will do (default 0: sync now);
   * coins received since may be missing, nothing else (the wallet records its own spends when it broadcasts).
   */
  async send(request: SendRequest, options: { maxSyncAgeMs?: number } = {}): Promise<SignedSend> {
    const requestedAt = performance.now() - (options.maxSyncAgeMs ?? 0)
    return await this.whenOpen(() => this.sendNow(request, requestedAt))
  }

  /** Broadcasts a signed transaction and records its spends and outputs at once. Resolves to its txid. */
  async broadcast(hex: string): Promise<string> {
    return await this.whenOpen(() => this.broadcastNow(hex))
  }

  /** `send` to one address, then `broadcast`, as one step no other wallet call can interleave with. */
  async sendTo(address: string, amount: bigint, feeRate?: bigint): Promise<SignedSend> {
    const requestedAt = performance.now()
    return await this.whenOpen(async () => {
      const signed = await this.sendNow(
        {
          outputs: [{ address, amount }],
          ...(feeRate === undefined ? {} : { feeRate }),
        },
        requestedAt,
      )
      await this.broadcastNow(signed.hex)
      return signed
    })
  }

  private async sendNow(request: SendRequest, requestedAt: number): Promise<SignedSend> {
    const network = this.account.network
    const valid = validateSendRequest(request, network)
    if (valid.feeRate !== undefined && valid.feeRate > this.feePolicy.max) {
      throw new SwarmswapError(
        'INVALID_ARGUMENT',
        `fee rate above the configured maximum ${this.feePolicy.max}`,
        {
          details: { feeRate: valid.feeRate, maxFeeRate: this.feePolicy.max },
        },
      )
    }
    // The fee estimate does not depend on the sync: both are read at once.
    const [, feeRate] = await Promise.all([this.syncSince(requestedAt), valid.feeRate ?? this.feeRate()])
    const coins = this.ledger.coins().filter((coin) => {
      const holder = this.reservations.get(outpointKey(coin.txid, coin.vout))
      return isSpendable(coin, this.scanned) && holder === valid.reservation
    })
    // Peeked, not taken: an unbroadcast send leaves the index free, a broadcast one marks it used.
    const changeScript = valid.changeScript ?? this.addresses.peek(CHANGE_BRANCH).script
    const selection = selectCoins({ coins, outputs: valid.outputs, feeRate, changeScript })
    return signSend({
      account: this.account,
      selection,
      outputs: valid.outputs,
      changeScript,
      lockTime: this.scanned,
    })
  }

  private async broadcastNow(hex: string): Promise<string> {
    let tx: bitcoin.Transaction
    try {
      tx = parseTransaction(hex)
    } catch (cause) {
      throw new SwarmswapError('INVALID_ARGUMENT', 'not a serialized transaction', { cause })
    }
    await this.rpc.sendRawTransaction(hex)
    const txid = tx.getId()
    this.markUsed(tx)
    this.broadcasted.set(txid, { txid, tx })
    this.ledger.setPending([...this.mempool.values()], [...this.broadcasted.values()])
    return txid
  }

  /**
   * Syncs unless a sync already started after `requestedAt` (performance.now() when the caller asked):
   * calls queued behind one another share one sync instead of each reading the node again.
   */
  private async syncSince(requestedAt: number): Promise<void> {
    if (this.lastSyncStart >= requestedAt) return
    const start = performance.now()
    await this.syncOnce()
    this.lastSyncStart = start
  }

  private async syncOnce(): Promise<void> {
    // A chain that grew is assumed to extend ours until a scan refutes it (see followChain).
    let hopeful = true
    for (let attempt = 1; attempt <= SYNC_ATTEMPTS; attempt++) {
      // One request lists the mempool between two tip reads; blocks up to that tip are read after it, by
      // hash. Both settle before anything is thrown, so no read outlives this sync and overlaps the next.
      const { before, txids, after } = await this.rpc.mempoolAtTip()
      const [chain, mempool] = await Promise.allSettled([
        this.followChain(after.blocks, after.bestBlockHash, hopeful),
        this.readMempool(txids),
      ])
      if (chain.status === 'rejected') throw chain.reason
      if (mempool.status === 'rejected') throw mempool.reason
      if (!chain.value) hopeful = false
      // A transaction mined while the tip moved may be in neither the listing nor the blocks scanned.
      const still = after.blocks < this.birthday || after.bestBlockHash === before.bestBlockHash
      const stable = chain.value && still
      if (stable || attempt === SYNC_ATTEMPTS) {
        // Only a snapshot that matches the scanned tip may prove a broadcast transaction gone: otherwise
        // it may have just been mined into a block the wallet has not read yet.
        if (stable) this.forgetSettledBroadcasts()
        this.ledger.setPending([...this.mempool.values()], [...this.broadcasted.values()])
        if (stable) return
      }
    }
  }

  /**
   * Scans from the last common block with the node up to `tipHeight`. Returns false if the chain changed
   * under the scan (a block's parent is not the block scanned below it); the caller then syncs again.
   * `hopeful`: a chain that grew past ours is assumed to extend it (the common case, one new block), so no
   * fork is searched for first; the parent check refutes a wrong guess and the caller's next try searches.
   */
  private async followChain(tipHeight: number, tipHash: string, hopeful: boolean): Promise<boolean> {
    if (this.scanned === tipHeight && this.blockHashes.get(tipHeight) === tipHash) return true
    let common = Math.max(this.birthday - 1, Math.min(this.scanned, tipHeight))
    const grew = hopeful && tipHeight > this.scanned
    while (
      !grew &&
      common >= this.birthday &&
      this.blockHashes.get(common) !== (await this.rpc.getBlockHash(common))
    )
      common--
    if (common < this.scanned) {
      this.ledger.rewind(common + 1)
      for (let h = common + 1; h <= this.scanned; h++) this.blockHashes.delete(h)
      this.scanned = common
    }
    while (this.scanned < tipHeight) {
      const from = this.scanned + 1
      const heights = Array.from(
        { length: Math.min(SCAN_BATCH, tipHeight - this.scanned) },
        (_, i) => from + i,
      )
      const blocks = await Promise.all(
        // The tip's hash is known from the tip read: one lookup fewer for the usual single new block.
        heights.map(
          async (h) => await this.rpc.getBlock(h === tipHeight ? tipHash : await this.rpc.getBlockHash(h)),
        ),
      )
      for (const [i, block] of blocks.entries()) {
        const height = from + i
        if (block.height !== height) {
          throw new SwarmswapError('BAD_DATA', `node returned block ${block.height} for height ${height}`)
        }
        const parent = this.blockHashes.get(height - 1)
        if (parent !== undefined && block.previousBlockHash !== parent) return false
        for (const { hex } of block.txs) {
          const tx = parseTransaction(hex)
          const txid = tx.getId()
          this.markUsed(tx)
          this.ledger.addConfirmed(txid, tx, height)
        }
        this.blockHashes.set(height, block.hash)
        this.scanned = height
      }
    }
    return true
  }

  /** Decodes new mempool transactions (each once) and forgets those that left. */
  private async readMempool(txids: readonly string[]): Promise<void> {
    const next = new Map<string, KnownTx>()
    const missing: string[] = []
    for (const txid of txids) {
      const known = this.mempool.get(txid)
      if (known === undefined) missing.push(txid)
      else next.set(txid, known)
    }
    for (let i = 0; i < missing.length; i += SCAN_BATCH) {
      const fetched = await Promise.all(
        missing.slice(i, i + SCAN_BATCH).map((txid) => this.fetchMempoolTx(txid)),
      )
      for (const entry of fetched) {
        if (entry === undefined) continue
        next.set(entry.txid, entry)
        this.markUsed(entry.tx)
      }
    }
    this.mempool = next
  }

  /** A mempool transaction, or undefined if it left the mempool since getrawmempool listed it. */
  private async fetchMempoolTx(txid: string): Promise<KnownTx | undefined> {
    try {
      const { hex } = await this.rpc.getRawTransaction(txid)
      const tx = parseTransaction(hex)
      return { txid: tx.getId(), tx }
    } catch (error) {
      if (isTxNotFound(error)) return undefined
      throw error
    }
  }

  /** Drops broadcast transactions that are confirmed or that the node no longer has (evicted or conflicted). */
  private forgetSettledBroadcasts(): void {
    for (const txid of this.broadcasted.keys()) {
      if (this.ledger.isConfirmed(txid) || !this.mempool.has(txid)) this.broadcasted.delete(txid)
    }
  }

  /**
   * Moves the gap-limit window past every wallet address a transaction pays. Repeats while that finds
   * more, since one output's address can move the window over another's (any output order).
   */
  private markUsed(tx: bitcoin.Transaction): void {
    let found = 0
    let before: number
    do {
      before = found
      const owned = tx.outs.map((out) => this.addresses.lookup(out.script)).filter((o) => o !== undefined)
      for (const entry of owned) this.addresses.markUsed(entry)
      found = owned.length
    } while (found !== before)
  }

  private describe(owned: OwnedScript): AddressInfo {
    return {
      address: owned.address,
      branch: owned.branch,
      index: owned.index,
      path: `${this.account.path}/${owned.branch}/${owned.index}`,
    }
  }

  /** Runs `task` after every earlier wallet call has finished, so calls never interleave. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task)
    this.queue = run.catch(() => {})
    return run
  }

  /** Runs `task` once the wallet is ready, queued behind earlier calls; CLOSED before ready() or after close(). */
  private async whenOpen<T>(task: () => Promise<T>): Promise<T> {
    if (this.opening === null) throw new SwarmswapError('CLOSED', 'call ready() before using the wallet')
    await this.opening
    if (this.closed) throw new SwarmswapError('CLOSED', 'the wallet was closed')
    return await this.exclusive(task)
  }
}

/** Whether an RPC failure means "no such transaction" (Bitcoin Core -5, RPC_INVALID_ADDRESS_OR_KEY). */
function isTxNotFound(error: unknown): boolean {
  return error instanceof SwarmswapError && (error.code === 'NOT_FOUND' || error.details.rpcCode === -5)
}
