/**
 * The swap engine's LegAdapter for Bitcoin: HTLC legs locked in P2WSH outputs of the script in
 * src/chains/bitcoin/htlc-script.ts, paid from and back to a BitcoinWallet. Reading the chain goes through
 * one BitcoinChainWatcher shared by every leg; signing never broadcasts.
 *
 * Lock transactions spend wallet coins before they are broadcast (write-ahead), so each one's inputs are
 * reserved in the wallet under a tag until the node accepts or drops it: a later lock never picks them.
 */
import { htlcOutput, htlcScript } from '../../chains/bitcoin/htlc-script.js'
import { buildClaimTx, buildRefundTx } from '../../chains/bitcoin/htlc-tx.js'
import { type BitcoinNetworkName, bitcoinNetwork } from '../../chains/bitcoin/networks.js'
import { extractPreimage } from '../../chains/bitcoin/preimage.js'
import type { BitcoinRpc } from '../../chains/bitcoin/rpc.js'
import { parseTransaction } from '../../chains/bitcoin/transaction.js'
import type { BitcoinWallet } from '../../chains/bitcoin/wallet.js'
import { isSwarmswapError, SwarmswapError } from '../../errors.js'
import { Memo } from '../../memo.js'
import type {
  BroadcastOutcome,
  ChainTip,
  LegAdapter,
  LegState,
  LegTerms,
  LockRef,
  SignedTx,
  TxStatus,
} from '../types.js'
import { classifyRejection } from './bitcoin-rejections.js'
import { BitcoinChainWatcher, type ChainSnapshot, type WatchedOutput } from './bitcoin-watcher.js'
import { sharedRead } from './shared-read.js'

/**
 * How old the wallet's last sync may be for a lock's coin selection, ms. The take's funds check synced it a
 * moment ago; only coins received since can be missing, so a shortfall syncs and selects again.
 */
const LOCK_SYNC_AGE_MS = 1000
/** How long the node's fee estimate is reused, ms: it moves with blocks; a claim should not wait on it. */
const FEE_ESTIMATE_AGE_MS = 1000

export interface BitcoinLegAdapterOptions {
  wallet: BitcoinWallet
  rpc: BitcoinRpc
  network: BitcoinNetworkName
}

/** The HTLC of one leg: its witness script and the P2WSH output that locks to it. */
interface LegHtlc {
  witnessScript: Uint8Array
  scriptPubKey: Uint8Array
  scriptPubKeyHex: string
}

export class BitcoinLegAdapter implements LegAdapter {
  readonly chain = 'bitcoin' as const
  private readonly wallet: BitcoinWallet
  private readonly rpc: BitcoinRpc
  private readonly network: BitcoinNetworkName
  private readonly watcher: BitcoinChainWatcher
  /** Lock txid -> the wallet reservation tag holding its inputs, until the node accepts or drops it. */
  private readonly unbroadcastLocks = new Map<string, { tag: string; change: bigint }>()
  /** signLock calls, one at a time: coin selection and reservation must not interleave. */
  private signing: Promise<unknown> = Promise.resolve()
  /** Each leg's HTLC by its terms: every read and signature of a leg needs it, and building it hashes. */
  private readonly htlcs = new Memo<LegHtlc>()

  constructor(options: BitcoinLegAdapterOptions) {
    this.wallet = options.wallet
    this.rpc = options.rpc
    this.network = options.network
    this.watcher = new BitcoinChainWatcher(options.rpc)
  }

  /** Stops the watcher and frees the reservations of locks never broadcast. The wallet stays open. */
  close(): void {
    this.watcher.close()
    for (const { tag } of this.unbroadcastLocks.values()) this.wallet.release(tag)
    this.unbroadcastLocks.clear()
  }

  tip(): Promise<ChainTip> {
    return this.bestBlock()
  }

  private readonly bestBlock = sharedRead(async () => {
    const info = await this.rpc.getBlockchainInfo()
    return { height: info.blocks, time: info.medianTime }
  })

  async observe(leg: LegTerms, fromHeight: number): Promise<LegState> {
    const htlc = this.htlcOf(leg)
    const chain = await this.watcher.snapshot(fromHeight)
    const outputs = chain.outputsTo(htlc.scriptPubKeyHex, fromHeight)
    const exact = outputs.filter((out) => out.value === leg.amount)
    const lock = pickLock(exact, chain)
    if (lock === undefined) {
      const wrong = outputs[0]
      if (wrong === undefined) return { kind: 'absent' }
      return {
        kind: 'invalid',
        ref: { txid: wrong.txid, vout: wrong.vout },
        field: 'amount',
        detail: `the HTLC output holds ${wrong.value} sats, the terms say ${leg.amount}`,
      }
    }
    const ref = { txid: lock.txid, vout: lock.vout }
    const spend = chain.spenderOf(lock.txid, lock.vout)
    if (spend === undefined) return { kind: 'locked', ref, confirmations: chain.confirmations(lock.height) }
    const confirmations = chain.confirmations(spend.height)
    const preimage = extractPreimage({ spendingTxHex: spend.hex, hashlock: leg.hashlock, htlcOutpoint: ref })
    return preimage === null
      ? { kind: 'refunded', ref, spendTxid: spend.txid, confirmations }
      : { kind: 'claimed', ref, preimage, spendTxid: spend.txid, confirmations }
  }

  async signLock(leg: LegTerms, keyIndex: number): Promise<SignedTx[]> {
    const htlc = this.htlcOf(leg)
    this.assertOurKey(leg.sender.btcPubkey, keyIndex, 'sender')
    const run = this.signing.then(async () => {
      const outputs = [{ scriptPubKey: htlc.scriptPubKey, amount: leg.amount }]
      const request = { outputs, feeRate: await this.feeRate() }
      const signed = await this.wallet
        .send(request, { maxSyncAgeMs: LOCK_SYNC_AGE_MS })
        .catch(async (error: unknown) => {
          if (!isSwarmswapError(error, 'INSUFFICIENT_FUNDS')) throw error
          return await this.wallet.send(request)
        })
      const tag = `swarmswap-lock:${signed.txid}`
      await this.wallet.reserve(signed.inputs, tag)
      const change = signed.outputs.reduce((sum, out) => (out.change ? sum + out.amount : sum), 0n)
      this.unbroadcastLocks.set(signed.txid, { tag, change })
      const tx: SignedTx = {
        chain: 'bitcoin',
        purpose: 'lock',
        txid: signed.txid,
        raw: signed.hex,
        signedAt: Date.now(),
      }
      return [tx]
    })
    this.signing = run.catch(() => {})
    return await run
  }

  async signClaim(
    leg: LegTerms,
    ref: LockRef,
    preimage: Uint8Array,
    keyIndex: number,
    feeRate?: bigint,
  ): Promise<SignedTx> {
    const htlc = this.htlcOf(leg)
    this.assertOurKey(leg.recipient.btcPubkey, keyIndex, 'recipient')
    const rate = feeRate ?? (await this.feeRate())
    const signed = buildClaimTx({
      ...this.spendParams(leg, ref, htlc, rate),
      preimage,
      claimKey: this.wallet.swapKey(keyIndex).signer,
    })
    return {
      chain: 'bitcoin',
      purpose: 'claim',
      txid: signed.txid,
      raw: signed.hex,
      feeRate: rate,
      signedAt: Date.now(),
    }
  }

  async signRefund(leg: LegTerms, ref: LockRef, keyIndex: number, feeRate?: bigint): Promise<SignedTx> {
    const htlc = this.htlcOf(leg)
    this.assertOurKey(leg.sender.btcPubkey, keyIndex, 'sender')
    const rate = feeRate ?? (await this.feeRate())
    const signed = buildRefundTx({
      ...this.spendParams(leg, ref, htlc, rate),
      refundKey: this.wallet.swapKey(keyIndex).signer,
    })
    return {
      chain: 'bitcoin',
      purpose: 'refund',
      txid: signed.txid,
      raw: signed.hex,
      feeRate: rate,
      signedAt: Date.now(),
    }
  }

  async broadcast(tx: SignedTx): Promise<BroadcastOutcome> {
    this.assertBitcoinTx(tx)
    let outcome: BroadcastOutcome
    try {
      await this.wallet.broadcast(tx.raw)
      outcome = { kind: 'accepted' }
    } catch (error) {
      outcome = await this.rejectionOutcome(tx, error)
    }
    if (outcome.kind !== 'retry') this.releaseLock(tx.txid)
    return outcome
  }

  async txStatus(tx: SignedTx): Promise<TxStatus> {
    this.assertBitcoinTx(tx)
    try {
      const found = await this.rpc.getRawTransaction(tx.txid)
      if (found.confirmations > 0)
        return { kind: 'mined', confirmations: found.confirmations, reverted: false }
      return found.blockHash === undefined ? { kind: 'mempool' } : { kind: 'unknown' }
    } catch (error) {
      if (!isTxNotFound(error)) throw error
    }
    // Bitcoin Core without -txindex finds confirmed transactions only through their unspent outputs.
    const outputs = parseTransaction(tx.raw).outs.length
    for (let vout = 0; vout < outputs; vout++) {
      const out = await this.rpc.getTxOut(tx.txid, vout, false)
      if (out !== null) return { kind: 'mined', confirmations: out.confirmations, reverted: false }
    }
    return { kind: 'unknown' }
  }

  /** The wallet's fee rate (the node's estimate), read at most every FEE_ESTIMATE_AGE_MS. */
  feeRate(): Promise<bigint> {
    return this.feeEstimate()
  }

  private readonly feeEstimate = sharedRead(async () => await this.wallet.feeRate(), {
    reuseMs: FEE_ESTIMATE_AGE_MS,
  })

  async partyKey(keyIndex: number): Promise<{ btcPubkey: Uint8Array }> {
    return { btcPubkey: this.wallet.swapKey(keyIndex).publicKey }
  }

  /**
   * Spendable sats: coins that are confirmed (or our own change), mature and not held by a lock, plus the
   * change of locks signed but not yet broadcast (it is ours the moment they go out).
   */
  async spendable(asset: string, options: { maxAgeMs?: number } = {}): Promise<bigint> {
    if (asset !== 'BTC') {
      throw new SwarmswapError('INVALID_ARGUMENT', `the Bitcoin adapter holds BTC only, not ${asset}`, {
        details: { asset },
      })
    }
    const coins = await this.wallet.listCoins({ maxSyncAgeMs: options.maxAgeMs ?? 0 })
    const free = coins.reduce((sum, coin) => (coin.spendable ? sum + coin.value : sum), 0n)
    let change = 0n
    for (const held of this.unbroadcastLocks.values()) change += held.change
    return free + change
  }

  /**
   * A refusal in BroadcastOutcome terms; transport failures are rethrown. A transaction the node calls spent
   * or missing may be our own, confirmed with every output spent since: then it counts as accepted.
   */
  private async rejectionOutcome(tx: SignedTx, error: unknown): Promise<BroadcastOutcome> {
    if (isSwarmswapError(error, 'TX_ALREADY_IN_CHAIN')) return { kind: 'accepted' }
    const rejected =
      isSwarmswapError(error, 'TX_REJECTED') ||
      (isSwarmswapError(error, 'RPC_ERROR') && error.details.rpcCode === -22)
    if (!rejected) throw error
    const rpcCode = Number(error.details.rpcCode)
    const outcome = classifyRejection(rpcCode, String(error.details.reason ?? error.details.message ?? ''))
    if (outcome.kind === 'dropped' && (await this.txStatus(tx)).kind !== 'unknown')
      return { kind: 'accepted' }
    return outcome
  }

  private releaseLock(txid: string): void {
    const held = this.unbroadcastLocks.get(txid)
    if (held === undefined) return
    this.wallet.release(held.tag)
    this.unbroadcastLocks.delete(txid)
  }

  private spendParams(leg: LegTerms, ref: LockRef, htlc: LegHtlc, feeRate: bigint) {
    if (ref.vout === undefined) {
      throw new SwarmswapError('INVALID_ARGUMENT', 'a Bitcoin lock reference needs the HTLC output index', {
        details: { txid: ref.txid },
      })
    }
    return {
      // The lock was observed to hold exactly leg.amount; the signature commits to this value.
      htlcOutpoint: { txid: ref.txid, vout: ref.vout, value: leg.amount },
      witnessScript: htlc.witnessScript,
      destination: this.wallet.receiveAddress(),
      feeRate,
      network: bitcoinNetwork(this.network),
    }
  }

  /** The leg's HTLC; INVALID_ARGUMENT for a leg of another chain or asset, or malformed terms. */
  private htlcOf(leg: LegTerms): LegHtlc {
    if (leg.chain !== 'bitcoin' || leg.asset !== 'BTC') {
      throw new SwarmswapError('INVALID_ARGUMENT', `not a BTC leg: ${leg.chain} ${leg.asset}`, {
        details: { chain: leg.chain, asset: leg.asset },
      })
    }
    if (leg.amount <= 0n) {
      throw new SwarmswapError('INVALID_ARGUMENT', `a leg amount must be positive, got ${leg.amount}`)
    }
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
    const id = [leg.hashlock, leg.recipient.btcPubkey, leg.sender.btcPubkey].map(hex).join(' ')
    const key = `${id} ${leg.deadline}`
    return this.htlcs.get(key, () => {
      const witnessScript = htlcScript({
        sha256Hashlock: leg.hashlock,
        claimPubkey: leg.recipient.btcPubkey,
        refundPubkey: leg.sender.btcPubkey,
        deadline: leg.deadline,
      })
      const { scriptPubKey } = htlcOutput(witnessScript, bitcoinNetwork(this.network))
      return { witnessScript, scriptPubKey, scriptPubKeyHex: hex(scriptPubKey) }
    })
  }

  /** Refuses to lock, claim or refund with a key the leg does not name: the coins could be lost. */
  private assertOurKey(legKey: Uint8Array, keyIndex: number, role: 'sender' | 'recipient'): void {
    if (Buffer.compare(legKey, this.wallet.swapKey(keyIndex).publicKey) !== 0) {
      throw new SwarmswapError('INVALID_ARGUMENT', `the leg's ${role} key is not our swap key ${keyIndex}`, {
        details: { keyIndex, role },
      })
    }
  }

  private assertBitcoinTx(tx: SignedTx): void {
    if (tx.chain !== 'bitcoin') {
      throw new SwarmswapError('INVALID_ARGUMENT', `not a Bitcoin transaction: ${tx.chain}`)
    }
  }
}

/**
 * The lock among outputs of exactly the leg's amount: a spent one first (its claim or refund is what
 * matters), then the most confirmed. Several can exist only if someone paid the script more than once.
 */
function pickLock(outputs: readonly WatchedOutput[], chain: ChainSnapshot): WatchedOutput | undefined {
  const ranked = [...outputs].sort((a, b) => {
    const spent =
      Number(chain.spenderOf(b.txid, b.vout) !== undefined) -
      Number(chain.spenderOf(a.txid, a.vout) !== undefined)
    return spent !== 0 ? spent : chain.confirmations(b.height) - chain.confirmations(a.height)
  })
  return ranked[0]
}

/** Whether an RPC failure means "no such transaction" (Bitcoin Core -5, RPC_INVALID_ADDRESS_OR_KEY). */
function isTxNotFound(error: unknown): boolean {
  return isSwarmswapError(error) && (error.code === 'NOT_FOUND' || error.details.rpcCode === -5)
}
