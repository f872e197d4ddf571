import type { Market } from '../orderbook/types.js'
import type { PartyKeys } from '../p2p/messages.js'

/**
 * The swap engine's data model and the interfaces it needs from storage and from each chain. The engine
 * owns these interfaces; src/store and the chain adapters implement them and the composition root wires
 * them together, so the engine never imports a database or an RPC client.
 */

/** The maker is the initiator (it holds the secret and locks first); the taker is the participant. */
export type SwapRole = 'maker' | 'taker'

export type ChainKind = 'bitcoin' | 'evm'

/**
 * Persisted statuses, in the order each role passes them (docs/PROTOCOL.md, "Swap statuses"):
 *   maker: negotiated → lock-signed → locked → counter-locked → claim-signed → completed
 *   taker: negotiated → counter-locked → lock-signed → locked → claim-signed → completed
 * and from any non-final status with a lock of our own on chain: refund-signed → refunded. `failed` ends a
 * swap in which none of our funds were ever locked (the counterparty never locked, or locked wrongly first).
 */
export type SwapStatus =
  /** Terms agreed and stored; nothing of ours on chain. */
  | 'negotiated'
  /** Our lock transaction(s) are signed and stored (write-ahead), maybe broadcast. */
  | 'lock-signed'
  /** Our lock is on chain with the required confirmations. */
  | 'locked'
  /** The counterparty's lock passed the audit with the required confirmations. */
  | 'counter-locked'
  /** Our claim of the counterparty's lock is signed and stored, maybe broadcast (the secret may be public). */
  | 'claim-signed'
  /** Our refund is signed and stored, maybe broadcast. */
  | 'refund-signed'
  /** Final: our claim is confirmed. */
  | 'completed'
  /** Final: our refund is confirmed. */
  | 'refunded'
  /** Final: the swap ended before any of our funds were locked. */
  | 'failed'

/** Every status, in the maker's order of passing them, then the ends. */
export const SWAP_STATUSES = [
  'negotiated',
  'lock-signed',
  'locked',
  'counter-locked',
  'claim-signed',
  'refund-signed',
  'completed',
  'refunded',
  'failed',
] as const satisfies readonly SwapStatus[]

export const FINAL_STATUSES: ReadonlySet<SwapStatus> = new Set(['completed', 'refunded', 'failed'])

/** One HTLC of a swap: who locks how much of what, for whom, until when. */
export interface LegTerms {
  chain: ChainKind
  /** 'BTC', 'ETH' or 'ERC20:0x' + 40 lower-case hex. */
  asset: string
  /** Base units (satoshis, wei, token units): exactly what the HTLC holds. */
  amount: bigint
  /** SHA-256 of the 32-byte secret. */
  hashlock: Uint8Array
  /** Unix seconds: the HTLC refunds to the sender from then on (Bitcoin: once median-time-past passes it). */
  deadline: number
  /** The party that locks: its btcPubkey is the refund key, its evmAddress the refund address. */
  sender: PartyKeys
  /** The party that claims: its btcPubkey is the claim key, its evmAddress the recipient. */
  recipient: PartyKeys
  /** Confirmations a lock needs before the other party acts on it. */
  confirmations: number
}

/** Where a lock is on its chain. Bitcoin: the funding txid and the HTLC output; EVM: the lock tx hash. */
export interface LockRef {
  txid: string
  /** Bitcoin: index of the HTLC output. */
  vout?: number
}

/**
 * What one chain shows for one leg now, read by LegAdapter.observe. `confirmations` counts the block that
 * holds the transaction as 1; 0 means seen in the mempool only.
 */
export type LegState =
  /** No lock of these terms is visible. */
  | { kind: 'absent' }
  /**
   * Something was locked under this swap's hashlock (or paid to its script) that does not match the terms
   * in `field` (amount, recipient, deadline, ...). Never acted on: no claim, no secret revealed.
   */
  | { kind: 'invalid'; ref: LockRef; field: string; detail: string }
  /** Locked with exactly these terms and still unspent. */
  | { kind: 'locked'; ref: LockRef; confirmations: number }
  /** Claimed: the preimage is read from the chain (witness or Claimed event) and checked against the hash. */
  | { kind: 'claimed'; ref: LockRef; preimage: Uint8Array; spendTxid: string; confirmations: number }
  | { kind: 'refunded'; ref: LockRef; spendTxid: string; confirmations: number }

/** Height and the time a chain judges its deadlines by (Bitcoin: median-time-past; EVM: latest block time). */
export interface ChainTip {
  height: number
  /** Unix seconds. */
  time: number
}

export type TxPurpose = 'approve' | 'lock' | 'claim' | 'refund'

/**
 * A signed transaction stored before it is broadcast (write-ahead). `raw` is everything needed to
 * broadcast it again after a crash.
 */
export interface SignedTx {
  chain: ChainKind
  purpose: TxPurpose
  /** Bitcoin txid or EVM transaction hash. */
  txid: string
  /** Serialized signed transaction, hex without 0x (Bitcoin) or 0x-hex (EVM). */
  raw: string
  /** Bitcoin claims and refunds: the fee rate in sat/vB it pays, so a replacement can pay more. */
  feeRate?: bigint
  /** EVM: the account nonce it uses. */
  nonce?: number
  /** Unix ms when it was signed. */
  signedAt: number
}

/** What a broadcast found. Transport failures are thrown (RPC_UNREACHABLE ...) and change nothing. */
export type BroadcastOutcome =
  /** The node accepted it, or already had it (mempool or chain). */
  | { kind: 'accepted' }
  /**
   * It can never be mined: its inputs or nonce were spent by another transaction, or the node rejects it
   * for good. The engine drops it and decides again from the chain.
   */
  | { kind: 'dropped'; reason: string }
  /** Refused for now (fee too low, locktime not yet reached); broadcasting again later may work. */
  | { kind: 'retry'; reason: string }

export type TxStatus =
  | { kind: 'unknown' }
  | { kind: 'mempool' }
  /** `confirmations` >= 1; `reverted`: an EVM transaction mined but failed (it changed nothing but gas). */
  | { kind: 'mined'; confirmations: number; reverted: boolean }

/**
 * Everything the engine needs from one chain for the legs on it. One adapter per chain kind; it holds the
 * wallet. Reads never change anything; sign* build and sign but never broadcast.
 */
export interface LegAdapter {
  readonly chain: ChainKind
  tip(): Promise<ChainTip>
  /** Where `leg` stands. `fromHeight`: no lock of this swap can be below this height (recorded at creation). */
  observe(leg: LegTerms, fromHeight: number): Promise<LegState>
  /**
   * The transaction(s) that lock `leg` from our wallet, in broadcast order (ERC-20: an approval first when
   * the allowance is short). Throws INSUFFICIENT_FUNDS when the wallet cannot pay.
   */
  signLock(leg: LegTerms, keyIndex: number): Promise<SignedTx[]>
  /** Claims the lock at `ref` with the preimage, paying our wallet. `feeRate`: Bitcoin only, sat/vB. */
  signClaim(
    leg: LegTerms,
    ref: LockRef,
    preimage: Uint8Array,
    keyIndex: number,
    feeRate?: bigint,
  ): Promise<SignedTx>
  /** Refunds the lock at `ref` to our wallet. `feeRate`: Bitcoin only, sat/vB. */
  signRefund(leg: LegTerms, ref: LockRef, keyIndex: number, feeRate?: bigint): Promise<SignedTx>
  /** Broadcasts; idempotent (a transaction already known counts as accepted). */
  broadcast(tx: SignedTx): Promise<BroadcastOutcome>
  /** Where a transaction of ours is: unknown to the node, in its mempool, or mined (EVM: maybe reverted). */
  txStatus(tx: SignedTx): Promise<TxStatus>
  /** The fee rate (sat/vB) a new Bitcoin claim or refund would pay now; EVM adapters return 0n. */
  feeRate(): Promise<bigint>
  /** Our keys on this chain for the swap using `keyIndex` (Bitcoin: the swap key; EVM: our address). */
  partyKey(keyIndex: number): Promise<{ btcPubkey?: Uint8Array; evmAddress?: string }>
  /**
   * Base units of `asset` we could lock now (spendable balance). `maxAgeMs`: a view of the wallet read at
   * most this long ago will do; it can miss only funds received since (our own spends count at once).
   */
  spendable(asset: string, options?: { maxAgeMs?: number }): Promise<bigint>
}

/** One entry of a swap's history, shown to the user ("what happened when"). */
export interface SwapEvent {
  /** Unix ms. */
  at: number
  status: SwapStatus
  /** What happened, in a few words ('lock broadcast', 'counterparty lock audited', ...). */
  note: string
  txid?: string
  chain?: ChainKind
}

/** Everything stored about one swap. The store persists it whole, atomically, on every change. */
export interface SwapRecord {
  /** 32 bytes hex: see swapIdFor in src/swap/secret.ts. */
  id: string
  role: SwapRole
  status: SwapStatus
  market: Market
  /** Hex of the order taken. */
  orderId: string
  /** Hex of the counterparty's identity key. */
  peer: string
  /** The leg the maker locks (the taker claims it). */
  makerLeg: LegTerms
  /** The leg the taker locks (the maker claims it). */
  takerLeg: LegTerms
  /** Index of our Bitcoin swap key (BIP84 branch 2), allocated by the store, unique per swap. */
  keyIndex: number
  /** Chain heights when the swap was created: no lock of it can be below them. */
  startHeights: Record<ChainKind, number>
  /** The secret once we know it: the maker derives it; the taker learns it from the chain. Hex. */
  preimage?: string
  /** Where each lock was found on chain. */
  makerLock?: LockRef
  takerLock?: LockRef
  /** Signed transactions not yet confirmed (write-ahead); removed once confirmed or dropped. */
  pending: SignedTx[]
  history: SwapEvent[]
  /** Why a swap failed or refunded (e.g. 'counterparty-never-locked', 'audit-failed: amount'). */
  reason?: string
  /** Unix ms. */
  createdAt: number
  updatedAt: number
}

/** Durable storage of swap records; every write is atomic and on disk before it returns. */
export interface SwapStore {
  /** Stores a new swap; throws INVALID_ARGUMENT if a swap with this id exists (ids are never reused). */
  insert(record: SwapRecord): void
  /** Replaces the stored record with this one (same id). Throws NOT_FOUND if it does not exist. */
  update(record: SwapRecord): void
  get(id: string): SwapRecord | undefined
  /** Swaps whose status is not final, oldest first. */
  active(): SwapRecord[]
  /** All swaps, newest first. */
  list(options?: { limit?: number }): SwapRecord[]
  /** A Bitcoin swap-key index never returned before (durable counter). */
  allocateKeyIndex(): number
}

/** Why a peer is refused for a while: it backed out after accepting, or broke the protocol. */
export type PeerOffence = 'backed-out' | 'bad-lock' | 'protocol'

/** Local reputation of counterparties (issue: free-option griefing must cost the griefer). */
export interface ReputationStore {
  /** Records an offence of `peer` (identity hex) at `at` (unix ms); durable. */
  recordOffence(peer: string, offence: PeerOffence, at: number): void
  /** Unix ms until which `peer` is refused, or null if it is not refused at `now`. */
  refusedUntil(peer: string, now: number): number | null
}
