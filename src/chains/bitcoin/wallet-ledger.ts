/**
 * The wallet's record of its own transactions, with no I/O: confirmed ones by block height (so a reorg
 * is a rewind), and unconfirmed ones (the node's mempool plus what this wallet broadcast itself). Coins
 * and balances are computed from these on demand, so there is no second copy of the truth to drift.
 */
import type { bitcoin } from './ecc.js'
import type { OwnedScript } from './wallet-addresses.js'

/** Blocks on top of a coinbase before its outputs may be spent: depth 100, as consensus requires. */
export const COINBASE_MATURITY = 100

export interface Balance {
  /** Unspent, with at least one confirmation, and mature. */
  confirmed: bigint
  /** Unspent outputs of unconfirmed transactions (incoming payments and the wallet's own change). */
  unconfirmed: bigint
  /** Coinbase outputs with fewer than 100 confirmations. */
  immature: bigint
}

export interface WalletCoin {
  txid: string
  vout: number
  value: bigint
  owner: OwnedScript
  /** Block height, or null while unconfirmed. */
  height: number | null
  coinbase: boolean
  /** Unconfirmed output of a transaction spending only this wallet's coins (its change): safe to build on. */
  trusted: boolean
  /** Txid of an unconfirmed transaction spending this coin, if any. */
  spentBy: string | null
}

interface LedgerTx {
  txid: string
  tx: bitcoin.Transaction
}

export function outpointKey(txid: string, vout: number): string {
  return `${txid}:${vout}`
}

/** Big-endian hex txid of the outpoint an input spends. */
export function inputOutpointKey(input: bitcoin.Transaction['ins'][number]): string {
  return outpointKey(Buffer.from(input.hash).reverse().toString('hex'), input.index)
}

export class WalletLedger {
  /** Relevant confirmed transactions, in chain order. */
  private confirmed: (LedgerTx & { height: number })[] = []
  private confirmedIds = new Set<string>()
  /** Outpoints of confirmed coins, to spot a block transaction that spends one. */
  private confirmedOutpoints = new Set<string>()
  private pending: LedgerTx[] = []

  constructor(private readonly lookup: (script: Uint8Array) => OwnedScript | undefined) {}

  /** Keeps a block transaction (blocks in chain order) if it pays the wallet or spends one of its coins. */
  addConfirmed(txid: string, tx: bitcoin.Transaction, height: number): void {
    const owned = this.ownedOutputs(tx)
    const spends = tx.ins.some((input) => this.confirmedOutpoints.has(inputOutpointKey(input)))
    if (owned.length === 0 && !spends) return
    this.confirmed.push({ txid, tx, height })
    this.confirmedIds.add(txid)
    for (const { vout } of owned) this.confirmedOutpoints.add(outpointKey(txid, vout))
  }

  isConfirmed(txid: string): boolean {
    return this.confirmedIds.has(txid)
  }

  /** Forgets every confirmed transaction at `height` or above (their block left the best chain). */
  rewind(height: number): void {
    this.confirmed = this.confirmed.filter((entry) => entry.height < height)
    this.confirmedIds = new Set(this.confirmed.map((entry) => entry.txid))
    this.confirmedOutpoints = new Set(
      this.confirmed.flatMap(({ txid, tx }) =>
        this.ownedOutputs(tx).map(({ vout }) => outpointKey(txid, vout)),
      ),
    )
  }

  /**
   * Replaces the unconfirmed layer. `mempool` is the node's (authoritative, conflict-free); `local` is
   * what this wallet broadcast, used until the node shows it, and dropped here if it conflicts with a
   * confirmed or mempool transaction. Transactions irrelevant to the wallet are ignored.
   */
  setPending(mempool: readonly LedgerTx[], local: readonly LedgerTx[]): void {
    const candidates = new Map<string, LedgerTx>()
    for (const entry of [...mempool, ...local]) {
      if (!this.confirmedIds.has(entry.txid) && !candidates.has(entry.txid)) candidates.set(entry.txid, entry)
    }
    const mempoolIds = new Set(mempool.map((entry) => entry.txid))
    // Drop conflicting local transactions and, repeatedly, whatever builds on a dropped one.
    const spentByAuthority = new Set<string>()
    for (const { tx } of [...this.confirmed, ...mempool]) {
      for (const input of tx.ins) spentByAuthority.add(inputOutpointKey(input))
    }
    const dropped = new Set<string>()
    for (let changed = true; changed; ) {
      changed = false
      for (const [txid, { tx }] of candidates) {
        const conflicts =
          !mempoolIds.has(txid) && tx.ins.some((input) => spentByAuthority.has(inputOutpointKey(input)))
        const orphaned = tx.ins.some((input) =>
          dropped.has(Buffer.from(input.hash).reverse().toString('hex')),
        )
        if (conflicts || orphaned) {
          candidates.delete(txid)
          dropped.add(txid)
          changed = true
        }
      }
    }
    // Keep the relevant ones: those paying the wallet, then (to a fixed point) those spending its coins.
    const owned = new Set(this.confirmedOutpoints)
    for (const [txid, { tx }] of candidates) {
      for (const { vout } of this.ownedOutputs(tx)) owned.add(outpointKey(txid, vout))
    }
    this.pending = [...candidates.values()].filter(
      ({ tx }) =>
        this.ownedOutputs(tx).length > 0 || tx.ins.some((input) => owned.has(inputOutpointKey(input))),
    )
  }

  /** The wallet's unspent coins (those spent by a confirmed transaction are gone; a mempool spend is marked). */
  coins(): WalletCoin[] {
    const coins = new Map<string, WalletCoin>()
    const addOutputs = (
      txid: string,
      tx: bitcoin.Transaction,
      height: number | null,
      trusted: boolean,
    ): void => {
      for (const { vout, value, owner } of this.ownedOutputs(tx)) {
        const coin = { txid, vout, value, owner, height, coinbase: tx.isCoinbase(), trusted, spentBy: null }
        coins.set(outpointKey(txid, vout), coin)
      }
    }
    for (const { txid, tx, height } of this.confirmed) {
      for (const input of tx.ins) coins.delete(inputOutpointKey(input))
      addOutputs(txid, tx, height, true)
    }
    const pendingOutpoints = new Set(
      this.pending.flatMap(({ txid, tx }) =>
        this.ownedOutputs(tx).map(({ vout }) => outpointKey(txid, vout)),
      ),
    )
    for (const { txid, tx } of this.pending) {
      const ownInputs = tx.ins.filter((input) => {
        const key = inputOutpointKey(input)
        return coins.has(key) || pendingOutpoints.has(key) || this.confirmedOutpoints.has(key)
      })
      addOutputs(txid, tx, null, ownInputs.length === tx.ins.length)
    }
    for (const { txid, tx } of this.pending) {
      for (const input of tx.ins) {
        const coin = coins.get(inputOutpointKey(input))
        if (coin !== undefined) coin.spentBy = txid
      }
    }
    return [...coins.values()]
  }

  private ownedOutputs(tx: bitcoin.Transaction): { vout: number; value: bigint; owner: OwnedScript }[] {
    return tx.outs.flatMap((out, vout) => {
      const owner = this.lookup(out.script)
      return owner === undefined ? [] : [{ vout, value: out.value, owner }]
    })
  }
}

/** Confirmations of a coin when the best block is at `tip`. */
export function confirmations(coin: WalletCoin, tip: number): number {
  return coin.height === null ? 0 : tip - coin.height + 1
}

export function isImmature(coin: WalletCoin, tip: number): boolean {
  return coin.coinbase && confirmations(coin, tip) < COINBASE_MATURITY
}

/** Balance of unspent coins at `tip`; a coin spent by an unconfirmed transaction counts nowhere. */
export function balanceOf(coins: readonly WalletCoin[], tip: number): Balance {
  const balance: Balance = { confirmed: 0n, unconfirmed: 0n, immature: 0n }
  for (const coin of coins) {
    if (coin.spentBy !== null) continue
    if (isImmature(coin, tip)) balance.immature += coin.value
    else if (coin.height === null) balance.unconfirmed += coin.value
    else balance.confirmed += coin.value
  }
  return balance
}

/** Coins a new transaction may spend: unspent, mature, and confirmed or the wallet's own unconfirmed change. */
export function isSpendable(coin: WalletCoin, tip: number): boolean {
  return coin.spentBy === null && !isImmature(coin, tip) && (coin.height !== null || coin.trusted)
}
