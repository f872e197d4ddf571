import { EventEmitter } from 'node:events'
import { isSwarmswapError, SwarmswapError } from '../errors.js'
import { CLAIM_CONFIRMED_NOTE, type Decision, decide, type SwapView } from './decide.js'
import { legsOf } from './legs.js'
import { checkTimelockPolicy, type TimelockPolicy } from './policy.js'
import { deriveSecret } from './secret.js'
import {
  type ChainKind,
  type ChainTip,
  FINAL_STATUSES,
  type LegAdapter,
  type LegState,
  type LegTerms,
  type SignedTx,
  type SwapEvent,
  type SwapRecord,
  type SwapStatus,
  type SwapStore,
  type TxPurpose,
} from './types.js'

/** Where the engine is when `onPersisted` fires: just after storing, or just after broadcasting what it stored. */
export type PersistPoint = 'stored' | 'broadcast'

export interface SwapEngineOptions {
  store: SwapStore
  adapters: Record<ChainKind, LegAdapter>
  policy: TimelockPolicy
  /** Key the maker's secrets derive from (secretKeyFromSeed of the wallet seed). */
  secretKey: Uint8Array
  /** Unix ms; default Date.now. */
  clock?: () => number
  /** How often the chains' tips are polled, ms (default 1000; regtest 50). A new block ticks every swap. */
  pollMs?: number
  /** Every active swap is ticked at least this often even without new blocks, ms (default 5000). */
  idleTickMs?: number
  /** A Bitcoin claim or refund still unconfirmed after this long is replaced at a higher fee rate, ms (default 10 min). */
  feeBumpAfterMs?: number
  /** How long a lock may fail for lack of funds before the swap is given up (nothing locked), ms (default 30 s). */
  fundsGraceMs?: number
  /**
   * Called synchronously after each durable write, with the record as stored, and again after the broadcast of
   * what it stored (the record then carries the broadcast's history notes, written with its next change).
   * Observability and fault-injection (the crash tests kill the process here).
   */
  onPersisted?: (record: SwapRecord, point: PersistPoint) => void
}

export interface SwapEngineEvents {
  /** A swap's record changed (status, locks found, transactions): stored, but a broadcast's notes (onPersisted). */
  update: [SwapRecord]
  /** A tick failed (node unreachable, ...); nothing advanced, the next tick tries again. */
  error: [Error, string]
  /** A node accepted a transaction of ours that the engine stored and broadcast (worth a hint to the peer). */
  broadcast: [SwapRecord, SignedTx]
}

/** Steps one tick may take for a swap before it yields to the next round (each step is stored first). */
const MAX_STEPS_PER_TICK = 8

/**
 * Drives every active swap to its end from chain data: an idempotent `tick` per swap reads both chains,
 * lets `decide` pick the next step, stores it (and any transaction it signs) and only then broadcasts
 * (write-ahead). Ticks run on new blocks, on a timer and on `wake()` (peer hints, new swaps); on `ready()`
 * every stored active swap resumes.
 */
export class SwapEngine extends EventEmitter<SwapEngineEvents> {
  readonly policy: TimelockPolicy
  readonly #options: SwapEngineOptions
  readonly #clock: () => number
  readonly #pollMs: number
  readonly #idleTickMs: number
  readonly #feeBumpAfterMs: number
  /** Per swap, the promise of its running tick: ticks of one swap never overlap. */
  readonly #running = new Map<string, Promise<void>>()
  readonly #fundsGraceMs: number
  /** Swap id -> unix ms since which its lock has failed for lack of funds. */
  readonly #shortSince = new Map<string, number>()
  #tips: Partial<Record<ChainKind, ChainTip>> = {}
  /** Unix ms of the last poll of both tips. */
  #tipsAt = 0
  #lastRound = 0
  #woken = false
  /** Swaps created held: not ticked until start(id). */
  readonly #held = new Set<string>()
  /** Swaps created here and not stepped yet: nothing of ours can be on chain for them (see #step). */
  readonly #fresh = new Set<string>()
  /** Swap id -> its record whose last change (a broadcast's history notes) waits for its next write. */
  readonly #unsaved = new Map<string, SwapRecord>()
  /** Swaps woken (wake(id)) while their tick ran: it may have read the chain too early, so they tick again. */
  readonly #rewoken = new Set<string>()
  /** Every stored swap's transactions are back on the wire (#resume): single swaps may tick from now on. */
  #resumed = false
  #wakeUp: (() => void) | null = null
  #loop: Promise<void> | null = null
  #closed = false

  constructor(options: SwapEngineOptions) {
    super()
    // Every caller of waitFor listens for updates while it waits; dozens at once are normal.
    this.setMaxListeners(0)
    this.policy = checkTimelockPolicy(options.policy)
    this.#options = options
    this.#clock = options.clock ?? Date.now
    this.#pollMs = options.pollMs ?? 1000
    this.#idleTickMs = options.idleTickMs ?? 5000
    this.#feeBumpAfterMs = options.feeBumpAfterMs ?? 10 * 60_000
    this.#fundsGraceMs = options.fundsGraceMs ?? 30_000
  }

  /** Starts the loop; every stored active swap resumes. Safe to call twice. */
  async ready(): Promise<void> {
    if (this.#closed) throw new SwarmswapError('CLOSED', 'the swap engine was closed')
    this.#loop ??= this.#run()
  }

  /** Stops ticking and waits for running ticks; stored swaps resume on the next start. Safe to call twice. */
  async close(): Promise<void> {
    this.#closed = true
    this.#wakeUp?.()
    await this.#loop
    await Promise.allSettled([...this.#running.values()])
  }

  /**
   * Stores a new swap (status 'negotiated') and starts driving it; `held`: not before start(id) (in this
   * process: a restarted engine drives every stored swap).
   */
  create(record: SwapRecord, options: { held?: boolean } = {}): void {
    if (this.#closed) throw new SwarmswapError('CLOSED', 'the swap engine was closed')
    this.#options.store.insert(record)
    if (record.status === 'negotiated' && record.pending.length === 0) this.#fresh.add(record.id)
    if (options.held === true) this.#held.add(record.id)
    this.#options.onPersisted?.(record, 'stored')
    this.emit('update', record)
    if (options.held !== true) this.wake()
  }

  /** Starts driving a swap created held. */
  start(id: string): void {
    if (this.#held.delete(id)) this.wake(id)
  }

  get(id: string): SwapRecord | undefined {
    return this.#options.store.get(id)
  }

  /** The maker's secret of a swap (derived, never stored). */
  secretFor(swapId: string): Uint8Array {
    return deriveSecret(this.#options.secretKey, swapId)
  }

  /**
   * Ticks every active swap soon (a swap was added, a transaction dropped), or with `id` that one swap at once
   * (its counterparty hinted that it broadcast something; the tick still reads everything from the chain).
   */
  wake(id?: string): void {
    if (id === undefined || !this.#resumed) {
      this.#woken = true
      this.#wakeUp?.()
      return
    }
    if (this.#closed) return
    if (this.#running.has(id)) this.#rewoken.add(id)
    else void this.tick(id)
  }

  /** Resolves with the record once `done(record)` holds; TIMEOUT after `timeoutMs`. */
  waitFor(id: string, done: (record: SwapRecord) => boolean, timeoutMs: number): Promise<SwapRecord> {
    return new Promise((resolve, reject) => {
      const check = (record: SwapRecord | undefined) => {
        if (record?.id !== id || !done(record)) return false
        cleanup()
        resolve(record)
        return true
      }
      const onUpdate = (record: SwapRecord) => void check(record)
      const timer = setTimeout(() => {
        cleanup()
        const now = this.get(id)
        reject(
          new SwarmswapError('TIMEOUT', `swap ${id} did not get there in ${timeoutMs} ms (${now?.status})`),
        )
      }, timeoutMs)
      const cleanup = () => {
        clearTimeout(timer)
        this.off('update', onUpdate)
      }
      this.on('update', onUpdate)
      check(this.get(id))
    })
  }

  /** Runs one tick of every active swap now; resolves when all are done. */
  async tickAll(): Promise<void> {
    await Promise.all(this.#options.store.active().map((record) => this.tick(record.id)))
  }

  /** One idempotent tick of one swap; a tick already running for it is awaited instead. Never throws. */
  tick(id: string): Promise<void> {
    const running = this.#running.get(id)
    if (running) return running
    const run = this.#tick(id)
      .catch((error: unknown) => {
        this.#report(error, id)
      })
      .finally(() => {
        this.#running.delete(id)
        if (this.#rewoken.delete(id)) void this.tick(id)
      })
    this.#running.set(id, run)
    return run
  }

  async #run(): Promise<void> {
    await this.#resume()
    this.#resumed = true
    while (!this.#closed) {
      let ticked = false
      try {
        // A woken round ticks at once: each step reads the tips it needs beside its chain reads (#tip).
        const woken = this.#woken
        this.#woken = false
        const changed = woken || (await this.#pollTips())
        if (changed || this.#clock() - this.#lastRound >= this.#idleTickMs) {
          this.#lastRound = this.#clock()
          ticked = true
          await this.tickAll()
        }
      } catch (error) {
        this.#report(error, '')
      }
      // After a round of ticks the tips are read again at once: a block mined meanwhile is not left waiting.
      if (!this.#woken && !ticked) await this.#sleep(this.#pollMs)
    }
  }

  /**
   * After a restart, puts every stored transaction back on the wire before any swap signs a new one: the
   * wallet no longer holds the coins of locks signed before the crash, so a new lock could otherwise take them.
   * Retries until the nodes answer.
   */
  async #resume(): Promise<void> {
    for (const stored of this.#options.store.active()) {
      while (!this.#closed) {
        try {
          const record = structuredClone(stored)
          if ((await this.#tendPending(record)).changed) this.#save(record)
          break
        } catch (error) {
          this.#report(error, stored.id)
          await this.#sleep(this.#pollMs)
        }
      }
    }
  }

  /**
   * Tells 'error' listeners of a failed tick. Without a listener EventEmitter would throw it and end the loop
   * for good (one unreachable node would stop every swap), so then it is dropped: the next tick retries.
   */
  #report(error: unknown, id: string): void {
    if (this.listenerCount('error') === 0) return
    this.emit('error', error instanceof Error ? error : new Error(String(error)), id)
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.#wakeUp = () => {
        this.#wakeUp = null
        done()
      }
    })
  }

  /** Reads both tips; true when either moved. */
  async #pollTips(): Promise<boolean> {
    const { bitcoin, evm } = this.#options.adapters
    const [btc, eth] = await Promise.all([bitcoin.tip(), evm.tip()])
    const changed = btc.height !== this.#tips.bitcoin?.height || eth.height !== this.#tips.evm?.height
    this.#tips = { bitcoin: btc, evm: eth }
    this.#tipsAt = this.#clock()
    return changed
  }

  /**
   * The chain's tip, as polled this round when that is recent enough, else read now. A tip read here is not
   * kept: the loop's next poll must still see the chain move, so every swap ticks on it.
   */
  async #tip(chain: ChainKind): Promise<ChainTip> {
    const polled = this.#tips[chain]
    if (polled && this.#clock() - this.#tipsAt < this.#pollMs) return polled
    return await this.#options.adapters[chain].tip()
  }

  async #tick(id: string): Promise<void> {
    if (this.#held.has(id)) return
    for (let step = 0; step < MAX_STEPS_PER_TICK && !this.#closed; step++) {
      const record = this.#unsaved.get(id) ?? this.#options.store.get(id)
      if (!record || FINAL_STATUSES.has(record.status)) return
      if (!(await this.#step(record))) return
    }
  }

  /** One decision for one swap; true when it changed something and another step may follow. */
  async #step(stored: SwapRecord): Promise<boolean> {
    const record = structuredClone(stored)
    const tended = await this.#tendPending(record)
    if (tended.confirmed.has('claim')) {
      // Our claim of the counterparty's lock is confirmed: the swap has ended, whatever else the chains would
      // show, so no reading of them is waited for.
      await this.#act(record, { kind: 'advance', status: 'completed', note: CLAIM_CONFIRMED_NOTE })
      return false
    }
    const pendingChanged = tended.changed
    const { own, counter } = legsOf(record)
    // The first step of a swap created here: we sign before we lock and have signed nothing, so our leg is
    // absent without reading it; so is, as far as a maker's first decision goes (lock), the taker's.
    const fresh = this.#fresh.delete(record.id)
    const absent: LegState = { kind: 'absent' }
    const [ownState, counterState, ownTip, otherTip] = await Promise.all([
      fresh ? absent : this.#adapter(own).observe(own, record.startHeights[own.chain]),
      fresh && record.role === 'maker'
        ? absent
        : this.#adapter(counter).observe(counter, record.startHeights[counter.chain]),
      this.#tip(own.chain),
      this.#tip(counter.chain),
    ])
    const learned = this.#learn(record, ownState, counterState)
    const now = Math.max(Math.floor(this.#clock() / 1000), ownTip.time, otherTip.time)
    const view: SwapView = {
      now,
      own: ownState,
      counter: counterState,
      ownRefundable: own.chain === 'bitcoin' ? ownTip.time > own.deadline : ownTip.time >= own.deadline,
      pending: new Set<TxPurpose>(record.pending.map((tx) => tx.purpose)),
      secret: record.role === 'maker' ? this.secretFor(record.id) : hexBytes(record.preimage),
    }
    let decision = decide(record, view, this.policy)
    let saved = false
    // An advance changes only the stored status: decide again on this reading of the chains instead of paying
    // for another one (each advance is still stored before the next decision acts).
    for (let advances = 0; decision.kind === 'advance' && advances < MAX_STEPS_PER_TICK; advances++) {
      await this.#act(record, decision)
      saved = true
      // Closed meanwhile (shutdown, or a test stopping the engine at this status): sign nothing more.
      if (this.#closed) return false
      decision = decide(record, view, this.policy)
    }
    if (decision.kind === 'wait') {
      if (!saved && (pendingChanged || learned)) this.#save(record)
      return false
    }
    await this.#act(record, decision)
    return true
  }

  /** Stores what the chain taught us (where the locks are, the secret); true if anything was new. */
  #learn(record: SwapRecord, ownState: LegState, counterState: LegState): boolean {
    let changed = false
    const ownKey = record.role === 'maker' ? 'makerLock' : 'takerLock'
    const counterKey = record.role === 'maker' ? 'takerLock' : 'makerLock'
    for (const [key, state] of [
      [ownKey, ownState],
      [counterKey, counterState],
    ] as const) {
      if (state.kind === 'absent' || state.kind === 'invalid') continue
      if (record[key]?.txid !== state.ref.txid || record[key]?.vout !== state.ref.vout) {
        record[key] = state.ref
        const leg = key === 'makerLock' ? record.makerLeg : record.takerLeg
        this.#note(
          record,
          `${key === 'makerLock' ? 'maker' : 'taker'} lock seen on chain`,
          state.ref.txid,
          leg.chain,
        )
        changed = true
      }
    }
    if (ownState.kind === 'claimed' && record.preimage === undefined) {
      record.preimage = Buffer.from(ownState.preimage).toString('hex')
      const own = record.role === 'maker' ? record.makerLeg : record.takerLeg
      this.#note(record, 'secret learned from the chain', ownState.spendTxid, own.chain)
      changed = true
    }
    return changed
  }

  async #act(record: SwapRecord, decision: Exclude<Decision, { kind: 'wait' }>): Promise<void> {
    const { own, counter } = legsOf(record)
    if (decision.kind === 'advance') {
      this.#setStatus(record, decision.status, decision.note)
      if (decision.reason !== undefined) record.reason = decision.reason
      this.#save(record)
      return
    }
    let signed: SignedTx[]
    let status: SwapStatus
    if (decision.kind === 'lock') {
      try {
        signed = await this.#adapter(own).signLock(own, record.keyIndex)
        this.#shortSince.delete(record.id)
      } catch (error) {
        if (!isSwarmswapError(error, 'INSUFFICIENT_FUNDS')) throw error
        // Coins may be tied up for a moment (another swap's lock signed, its change not yet out): retry
        // for a while, then give up before anything of ours is locked.
        const since = this.#shortSince.get(record.id) ?? this.#clock()
        this.#shortSince.set(record.id, since)
        if (this.#clock() - since < this.#fundsGraceMs) throw error
        this.#shortSince.delete(record.id)
        this.#setStatus(record, 'failed', `cannot lock: ${error.message}`)
        record.reason = 'insufficient-funds'
        this.#save(record)
        return
      }
      status = 'lock-signed'
    } else if (decision.kind === 'claim') {
      signed = [
        await this.#adapter(counter).signClaim(counter, decision.ref, decision.preimage, record.keyIndex),
      ]
      status = 'claim-signed'
    } else {
      signed = [await this.#adapter(own).signRefund(own, decision.ref, record.keyIndex)]
      status = 'refund-signed'
      record.reason = decision.reason
    }
    record.pending.push(...signed)
    record.status = status
    for (const tx of signed) this.#note(record, `${tx.purpose} signed`, tx.txid, tx.chain)
    this.#save(record)
    await this.#broadcastAll(record, signed)
  }

  async #broadcastAll(record: SwapRecord, txs: SignedTx[]): Promise<void> {
    let dropped = false
    for (const tx of txs) {
      const outcome = await this.#options.adapters[tx.chain].broadcast(tx)
      if (outcome.kind === 'accepted') {
        this.#note(record, `${tx.purpose} broadcast`, tx.txid, tx.chain)
        // At once: the hint is worth most the moment the transaction is out.
        this.emit('broadcast', record, tx)
      }
      if (outcome.kind === 'dropped') {
        record.pending = record.pending.filter((p) => p.txid !== tx.txid)
        this.#note(record, `${tx.purpose} dropped: ${outcome.reason}`, tx.txid, tx.chain)
        dropped = true
      }
    }
    if (dropped) {
      this.#save(record, 'broadcast')
      this.wake()
      return
    }
    // Nothing but history notes changed, and what went out is stored already (write-ahead): the notes are
    // written with the swap's next change instead of costing a durable write of their own.
    this.#unsaved.set(record.id, record)
    this.#options.onPersisted?.(record, 'broadcast')
    this.emit('update', record)
  }

  /**
   * Rebroadcasts what the node lost, forgets what confirmed or can never confirm, and replaces a Bitcoin claim
   * or refund stuck at a low fee rate. `changed` when the pending list changed; `confirmed`, the purposes of
   * those that confirmed (and did not revert) now.
   */
  async #tendPending(record: SwapRecord): Promise<{ changed: boolean; confirmed: Set<TxPurpose> }> {
    const before = record.pending.length
    const keep: SignedTx[] = []
    const confirmed = new Set<TxPurpose>()
    // The statuses are independent reads, made at once; rebroadcasts still go out in order (approval, lock).
    const checked = await Promise.all(
      record.pending.map(async (tx) => ({ tx, status: await this.#options.adapters[tx.chain].txStatus(tx) })),
    )
    for (const { tx, status } of checked) {
      // A lock stays in flight until it is as deep as its leg requires: a reorg may take it off the chain
      // until then, and then this same transaction goes out again (a newly signed one would lock twice).
      if (status.kind === 'mined' && status.confirmations < this.#settledDepth(record, tx)) {
        keep.push(tx)
        continue
      }
      if (status.kind === 'mined') {
        this.#note(record, `${tx.purpose} ${status.reverted ? 'reverted' : 'confirmed'}`, tx.txid, tx.chain)
        if (!status.reverted) confirmed.add(tx.purpose)
        continue
      }
      if (status.kind === 'unknown') {
        const outcome = await this.#options.adapters[tx.chain].broadcast(tx)
        if (outcome.kind === 'dropped') {
          this.#note(record, `${tx.purpose} dropped: ${outcome.reason}`, tx.txid, tx.chain)
          continue
        }
      }
      keep.push(tx)
    }
    record.pending = keep
    const bumped = await this.#bumpFee(record)
    return { changed: bumped || keep.length !== before, confirmed }
  }

  /** Confirmations after which a mined transaction of ours is forgotten: its leg's for a lock, one for a spend. */
  #settledDepth(record: SwapRecord, tx: SignedTx): number {
    if (tx.purpose !== 'lock' && tx.purpose !== 'approve') return 1
    return Math.max(1, legsOf(record).own.confirmations)
  }

  async #bumpFee(record: SwapRecord): Promise<boolean> {
    const stuck = record.pending
      .filter((tx) => tx.chain === 'bitcoin' && (tx.purpose === 'claim' || tx.purpose === 'refund'))
      .sort((a, b) => Number((b.feeRate ?? 0n) - (a.feeRate ?? 0n)))[0]
    if (!stuck || this.#clock() - stuck.signedAt < this.#feeBumpAfterMs) return false
    const { own, counter } = legsOf(record)
    const adapter = this.#options.adapters.bitcoin
    const current = stuck.feeRate ?? 1n
    const feeRate = [(current * 5n) / 4n, current + 1n, await adapter.feeRate()].reduce((a, b) =>
      a > b ? a : b,
    )
    let replacement: SignedTx
    if (stuck.purpose === 'claim') {
      const ref = record.role === 'maker' ? record.takerLock : record.makerLock
      const secret = record.role === 'maker' ? this.secretFor(record.id) : hexBytes(record.preimage)
      if (!ref || !secret) return false
      replacement = await adapter.signClaim(counter, ref, secret, record.keyIndex, feeRate)
    } else {
      const ref = record.role === 'maker' ? record.makerLock : record.takerLock
      if (!ref) return false
      replacement = await adapter.signRefund(own, ref, record.keyIndex, feeRate)
    }
    record.pending.push(replacement)
    this.#note(record, `${stuck.purpose} signed at ${feeRate} sat/vB (fee bump)`, replacement.txid, 'bitcoin')
    this.#save(record)
    await this.#broadcastAll(record, [replacement])
    return true
  }

  #adapter(leg: LegTerms): LegAdapter {
    return this.#options.adapters[leg.chain]
  }

  #setStatus(record: SwapRecord, status: SwapStatus, note: string): void {
    record.status = status
    this.#note(record, note)
  }

  #note(record: SwapRecord, note: string, txid?: string, chain?: ChainKind): void {
    const event: SwapEvent = { at: this.#clock(), status: record.status, note }
    if (txid !== undefined) event.txid = txid
    if (chain !== undefined) event.chain = chain
    record.history.push(event)
  }

  #save(record: SwapRecord, point: PersistPoint = 'stored'): void {
    record.updatedAt = this.#clock()
    this.#options.store.update(record)
    this.#unsaved.delete(record.id)
    this.#options.onPersisted?.(record, point)
    this.emit('update', record)
  }
}

function hexBytes(hex: string | undefined): Uint8Array | undefined {
  return hex === undefined ? undefined : Uint8Array.from(Buffer.from(hex, 'hex'))
}
