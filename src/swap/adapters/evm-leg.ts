import {
  getBytes,
  hexlify,
  Interface,
  type JsonRpcProvider,
  keccak256,
  MaxUint256,
  sha256,
  Transaction,
  type TransactionRequest,
  type Wallet,
  ZeroAddress,
} from 'ethers'
import { z } from 'zod'
import { auditEvmLock } from '../../chains/evm/audit.js'
import { EvmHtlc, type EvmHtlcEvent, type EvmLockEvent, type EvmLockFound } from '../../chains/evm/htlc.js'
import { decodeRevert } from '../../chains/evm/revert.js'
import { checksummed, type EvmSwapTerms, swapKey } from '../../chains/evm/terms.js'
import { Erc20 } from '../../chains/evm/token.js'
import { isSwarmswapError, SwarmswapError } from '../../errors.js'
import type {
  BroadcastOutcome,
  ChainTip,
  LegAdapter,
  LegState,
  LegTerms,
  LockRef,
  SignedTx,
  TxPurpose,
  TxStatus,
} from '../types.js'
import { classifySendRefusal, nodeRpcError, toRpcFailure } from './evm-rpc-errors.js'
import { evmSwapTerms, evmTokenOf } from './evm-terms.js'
import { sharedRead } from './shared-read.js'

export interface EvmLegAdapterOptions {
  provider: JsonRpcProvider
  /** Holds our key; it signs only, every read and broadcast goes through `provider`. */
  wallet: Wallet
  htlcAddress: string
  chainId: bigint
}

/**
 * Fixed gas limits, so a transaction can be signed before the state it depends on exists (an ERC-20 lock
 * before its approval is mined). Measured: ETH lock 46.9k, ERC-20 lock 65k, claim 32k (ETH) / 40.6k
 * (ERC-20), refund 31.6k / 40.2k; the headroom covers costlier tokens and smart-wallet recipients (an ETH
 * payout forwards all gas). Unused gas is not paid, but the balance must cover the limit at maxFeePerGas.
 */
const GAS_LIMIT: Record<Exclude<TxPurpose, 'approve'>, { eth: bigint; token: bigint }> = {
  lock: { eth: 100_000n, token: 200_000n },
  claim: { eth: 100_000n, token: 150_000n },
  refund: { eth: 100_000n, token: 150_000n },
}

/** An ERC-20 approve (TestToken: 46k for a fresh allowance). */
const APPROVE_GAS = 100_000n

/** The ERC-20 approval the adapter signs; the Erc20 wrapper only sends. */
const ERC20_APPROVE = new Interface(['function approve(address spender, uint256 value) returns (bool)'])

function gasLimit(purpose: keyof typeof GAS_LIMIT, terms: EvmSwapTerms): bigint {
  return GAS_LIMIT[purpose][terms.token === ZeroAddress ? 'eth' : 'token']
}

interface Fees {
  maxFeePerGas: bigint
  maxPriorityFeePerGas: bigint
}

interface Unsigned {
  purpose: TxPurpose
  request: TransactionRequest
  gasLimit: bigint
}

/** A claim or refund event. */
type EvmSpendEvent = Exclude<EvmHtlcEvent, { kind: 'locked' }>

const txHashSchema = z.string().regex(/^0x[0-9a-fA-F]{64}$/)

/**
 * How long the node's fee data is reused, ms: it moves at most once a block, and the max fee it gives already
 * allows the base fee to double, so a second-old reading still gets a transaction in; a claim should not wait
 * on three reads for it.
 */
const FEE_DATA_AGE_MS = 1000

/**
 * The swap engine's LegAdapter for the EVM chain: one HTLC contract, one account (`wallet`). Transactions
 * are signed with explicit nonces and fees and never broadcast by sign*, so the engine can store them
 * first (write-ahead). Nonces come from one mutex per adapter: the next is the larger of our own counter
 * and the node's pending count, so transactions signed but not yet broadcast keep theirs.
 */
export class EvmLegAdapter implements LegAdapter {
  readonly chain = 'evm' as const
  private readonly provider: JsonRpcProvider
  private readonly wallet: Wallet
  private readonly htlc: EvmHtlc
  private readonly chainId: bigint
  /** The nonce after the last one we signed; undefined after a resync (the node's pending count rules). */
  private nextNonce: number | undefined
  private nonceLock: Promise<unknown> = Promise.resolve()

  constructor(options: EvmLegAdapterOptions) {
    this.provider = options.provider
    this.wallet = options.wallet
    this.htlc = new EvmHtlc(options.htlcAddress, options.provider)
    this.chainId = options.chainId
  }

  private get address(): string {
    return checksummed(this.wallet.address)
  }

  tip(): Promise<ChainTip> {
    return this.latestBlock()
  }

  private readonly latestBlock = sharedRead(
    async () =>
      await this.rpc('read the tip', async () => {
        const block = await this.provider.getBlock('latest')
        if (block === null) throw new SwarmswapError('BAD_DATA', 'the EVM node has no latest block')
        return { height: block.number, time: block.timestamp }
      }),
  )

  async observe(leg: LegTerms, fromHeight: number): Promise<LegState> {
    const terms = evmSwapTerms(leg)
    return await this.rpc('observe the lock', async () => {
      const [events, tip] = await Promise.all([this.htlc.history(terms.hashlock, fromHeight), this.tip()])
      // The tip is read beside the logs, so it may be a block behind them: the chain is at least as high as
      // its newest event.
      const height = Math.max(tip.height, ...events.map((event) => event.blockNumber))
      const depth = (block: number) => Math.max(0, height - block + 1)
      const key = swapKey(terms)
      const at = events.reduce(
        (last, event, i) => (event.kind === 'locked' && event.key === key ? i : last),
        -1,
      )
      const exact = events[at]
      if (exact === undefined) {
        const locks = events.filter((event) => event.kind === 'locked')
        return await this.invalidOrAbsent(locks, terms, height)
      }
      const ref: LockRef = { txid: exact.txHash }
      // The slot is emptied only by a claim or refund, each with its event: none after the lock means live.
      const spend = events
        .slice(at + 1)
        .find((event): event is EvmSpendEvent => event.kind !== 'locked' && event.key === key)
      if (spend === undefined) return { kind: 'locked', ref, confirmations: depth(exact.blockNumber) }
      if (spend.kind === 'refunded') {
        return { kind: 'refunded', ref, spendTxid: spend.txHash, confirmations: depth(spend.blockNumber) }
      }
      if (sha256(spend.preimage) !== terms.hashlock) {
        throw new SwarmswapError('BAD_DATA', `the claim ${spend.txHash} reveals a wrong preimage`)
      }
      return {
        kind: 'claimed',
        ref,
        preimage: getBytes(spend.preimage),
        spendTxid: spend.txHash,
        confirmations: depth(spend.blockNumber),
      }
    })
  }

  /**
   * Locks under our hashlock with other terms: the oldest one's first mismatching field, if any. Its slot
   * is read only here, where the audit needs it.
   */
  private async invalidOrAbsent(
    locks: EvmLockEvent[],
    terms: EvmSwapTerms,
    height: number,
  ): Promise<LegState> {
    const first = locks[0]
    if (first === undefined) return { kind: 'absent' }
    const other: EvmLockFound = { ...first, lockedAt: await this.htlc.lockedAt(first.terms) }
    try {
      auditEvmLock(other, terms, {
        contractAddress: this.htlc.address,
        minConfirmations: 0,
        currentBlock: height,
      })
    } catch (error) {
      if (isSwarmswapError(error, 'AUDIT_FAILED')) {
        const field = String(error.details.field)
        return { kind: 'invalid', ref: { txid: other.txHash }, field, detail: error.message }
      }
      throw error
    }
    throw new SwarmswapError('INTERNAL', `the lock ${other.txHash} has another key but passes the audit`)
  }

  async signLock(leg: LegTerms, _keyIndex: number): Promise<SignedTx[]> {
    const terms = evmSwapTerms(leg)
    this.assertOurs(terms.sender, 'lock', 'sender')
    return await this.rpc('sign the lock', async () => {
      // The pending nonce is read beside the balances instead of after them (sign takes the higher of it and
      // our own counter, so an early read is as good).
      const [fees, ethBalance, pendingCount] = await Promise.all([
        this.fees(),
        this.provider.getBalance(this.address),
        this.pendingCount(),
      ])
      const txs: Unsigned[] = []
      if (terms.token !== ZeroAddress) {
        const token = new Erc20(terms.token, this.provider)
        const [balance, allowance] = await Promise.all([
          token.balanceOf(this.address),
          token.allowance(this.address, this.htlc.address),
        ])
        if (balance < terms.amount) throw insufficient(leg.asset, terms.amount, balance)
        if (allowance < terms.amount) {
          const data = ERC20_APPROVE.encodeFunctionData('approve', [this.htlc.address, MaxUint256])
          txs.push({
            purpose: 'approve',
            request: { to: token.address, data, value: 0n },
            gasLimit: APPROVE_GAS,
          })
        }
      }
      txs.push({ purpose: 'lock', request: this.htlc.lockTx(terms), gasLimit: gasLimit('lock', terms) })
      const gas = txs.reduce((sum, tx) => sum + tx.gasLimit * fees.maxFeePerGas, 0n)
      const ethNeeded = gas + (terms.token === ZeroAddress ? terms.amount : 0n)
      if (ethBalance < ethNeeded) throw insufficient('ETH', ethNeeded, ethBalance)
      return await this.sign(txs, { fees, pendingCount })
    })
  }

  async signClaim(leg: LegTerms, _ref: LockRef, preimage: Uint8Array, _keyIndex: number): Promise<SignedTx> {
    const terms = evmSwapTerms(leg)
    this.assertOurs(terms.recipient, 'claim', 'recipient')
    if (preimage.length !== 32 || sha256(preimage) !== terms.hashlock) {
      throw new SwarmswapError('INVALID_ARGUMENT', 'the preimage does not match the hashlock')
    }
    const request = this.htlc.claimTx(terms, hexlify(preimage))
    return await this.signOne({ purpose: 'claim', request, gasLimit: gasLimit('claim', terms) })
  }

  async signRefund(leg: LegTerms, _ref: LockRef, _keyIndex: number): Promise<SignedTx> {
    const terms = evmSwapTerms(leg)
    this.assertOurs(terms.sender, 'refund', 'sender')
    return await this.signOne({
      purpose: 'refund',
      request: this.htlc.refundTx(terms),
      gasLimit: gasLimit('refund', terms),
    })
  }

  async broadcast(tx: SignedTx): Promise<BroadcastOutcome> {
    const parsed = parseSigned(tx)
    return await this.rpc('broadcast', async () => {
      // A claim or refund is simulated first, beside a lookup: a known one (perhaps mined, so no longer
      // simulating) is accepted whatever the simulation says. A lock or approval is just sent: the node's
      // refusal of a known or mined one ('known', 'nonce-used') leads to the same answer.
      if (tx.purpose === 'claim' || tx.purpose === 'refund') {
        const [known, refusal] = await Promise.all([
          this.provider.getTransaction(tx.txid),
          this.simulate(parsed, tx.purpose),
        ])
        if (known !== null) return { kind: 'accepted' }
        if (refusal !== undefined) return refusal
      }
      try {
        const hash = txHashSchema.parse(await this.provider.send('eth_sendRawTransaction', [tx.raw]))
        if (hash.toLowerCase() !== tx.txid.toLowerCase()) {
          throw new SwarmswapError('BAD_DATA', `the node returned hash ${hash} for ${tx.txid}`)
        }
        return { kind: 'accepted' }
      } catch (error) {
        const rpc = nodeRpcError(error)
        if (rpc === undefined) throw error
        return await this.refused(tx, rpc.message)
      }
    })
  }

  /** What a refusal of eth_sendRawTransaction means for `tx`. */
  private async refused(tx: SignedTx, reason: string): Promise<BroadcastOutcome> {
    switch (classifySendRefusal(reason)) {
      case 'known':
        return { kind: 'accepted' }
      case 'nonce-used':
        if ((await this.provider.getTransaction(tx.txid)) !== null) return { kind: 'accepted' }
        // Another transaction took the nonce: forget our counter so the next one starts from the node's.
        await this.exclusive(async () => {
          this.nextNonce = undefined
        })
        return { kind: 'dropped', reason }
      case 'retry':
        return { kind: 'retry', reason }
      case 'dropped':
        return { kind: 'dropped', reason }
      case 'unknown':
        throw new SwarmswapError('TX_REJECTED', `the EVM node refused ${tx.txid}: ${reason}`, {
          details: { reason },
        })
    }
  }

  /**
   * Runs a claim or refund as a call first: the node would mine a reverting one (and take its gas), so a
   * refund before its deadline is refused here for now, and a spend of a swap that is not live for good.
   */
  private async simulate(
    tx: Transaction,
    purpose: 'claim' | 'refund',
  ): Promise<BroadcastOutcome | undefined> {
    try {
      // From our address, not `tx.from`: we only send what we signed, and recovering the signer costs ~2-3 ms.
      await this.provider.call({ from: this.address, to: tx.to, data: tx.data, value: tx.value })
      return undefined
    } catch (error) {
      const revert = decodeRevert(error, this.htlc.interface, purpose)
      if (!isSwarmswapError(revert, 'CONTRACT_REVERT')) throw revert
      const reason = `${purpose} would revert: ${String(revert.details.errorName)}`
      return revert.details.errorName === 'NotLocked'
        ? { kind: 'dropped', reason }
        : { kind: 'retry', reason }
    }
  }

  async txStatus(tx: SignedTx): Promise<TxStatus> {
    return await this.rpc('read a transaction', async () => {
      const [receipt, { height }] = await Promise.all([
        this.provider.getTransactionReceipt(tx.txid),
        this.tip(),
      ])
      if (receipt !== null) {
        return {
          kind: 'mined',
          confirmations: Math.max(1, height - receipt.blockNumber + 1),
          reverted: receipt.status === 0,
        }
      }
      return (await this.provider.getTransaction(tx.txid)) === null
        ? { kind: 'unknown' }
        : { kind: 'mempool' }
    })
  }

  async feeRate(): Promise<bigint> {
    return 0n
  }

  async partyKey(_keyIndex: number): Promise<{ evmAddress: string }> {
    return { evmAddress: this.address.toLowerCase() }
  }

  async spendable(asset: string): Promise<bigint> {
    const token = evmTokenOf(asset)
    return await this.rpc('read the balance', async () => {
      if (token !== ZeroAddress) return await new Erc20(token, this.provider).balanceOf(this.address)
      // An ETH lock must also pay its gas at today's fees.
      const [balance, fees] = await Promise.all([this.provider.getBalance(this.address), this.fees()])
      const reserve = GAS_LIMIT.lock.eth * fees.maxFeePerGas
      return balance > reserve ? balance - reserve : 0n
    })
  }

  private assertOurs(address: string, action: string, field: string): void {
    if (checksummed(address) !== this.address) {
      throw new SwarmswapError(
        'INVALID_ARGUMENT',
        `cannot ${action}: the ${field} ${address} is not our address`,
        {
          details: { field },
        },
      )
    }
  }

  /** Today's EIP-1559 fees, read at most every FEE_DATA_AGE_MS. */
  private readonly fees = sharedRead(
    async (): Promise<Fees> => {
      const { maxFeePerGas, maxPriorityFeePerGas } = await this.provider.getFeeData()
      if (maxFeePerGas === null || maxPriorityFeePerGas === null) {
        throw new SwarmswapError('BAD_DATA', 'the EVM node reports no EIP-1559 fees')
      }
      return { maxFeePerGas, maxPriorityFeePerGas }
    },
    { reuseMs: FEE_DATA_AGE_MS },
  )

  private async signOne(tx: Unsigned): Promise<SignedTx> {
    return await this.rpc(`sign the ${tx.purpose}`, async () => {
      const [signed] = await this.sign([tx])
      if (signed === undefined) throw new SwarmswapError('INTERNAL', 'signing returned nothing')
      return signed
    })
  }

  /**
   * Signs `txs` with consecutive nonces, in order; the counter moves only once all are signed. Without
   * `given` fees and node's pending transaction count, they are read (at once) here.
   */
  private async sign(
    txs: Unsigned[],
    given: { fees: Fees; pendingCount: number } | null = null,
  ): Promise<SignedTx[]> {
    return await this.exclusive(async () => {
      const [pending, fees] = given
        ? [given.pendingCount, given.fees]
        : await Promise.all([this.pendingCount(), this.fees()])
      const first = Math.max(this.nextNonce ?? 0, pending)
      const signed = await Promise.all(
        txs.map(async (tx, i): Promise<SignedTx> => {
          const nonce = first + i
          const raw = await this.wallet.signTransaction({
            ...tx.request,
            type: 2,
            chainId: this.chainId,
            nonce,
            gasLimit: tx.gasLimit,
            ...fees,
          })
          return {
            chain: 'evm',
            purpose: tx.purpose,
            // A signed transaction's hash is the keccak of its serialized bytes.
            txid: keccak256(raw),
            raw,
            nonce,
            signedAt: Date.now(),
          }
        }),
      )
      this.nextNonce = first + txs.length
      return signed
    })
  }

  /** How many transactions of ours the node knows, mempool included: the next nonce as far as it knows. */
  private pendingCount(): Promise<number> {
    return this.provider.getTransactionCount(this.address, 'pending')
  }

  /** Runs `fn` alone among this adapter's nonce users, in call order. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.nonceLock.then(fn, fn)
    this.nonceLock = run.catch(() => {})
    return run
  }

  /** Runs provider calls, mapping their failures (RPC_UNREACHABLE, RPC_ERROR). */
  private async rpc<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (error) {
      throw toRpcFailure(error, action)
    }
  }
}

function insufficient(asset: string, needed: bigint, available: bigint): SwarmswapError {
  return new SwarmswapError(
    'INSUFFICIENT_FUNDS',
    `need ${needed} base units of ${asset}, have ${available}`,
    {
      details: { asset, needed: needed.toString(), available: available.toString() },
    },
  )
}

/** The stored transaction, decoded; INVALID_ARGUMENT when it is not a signed EVM transaction. */
function parseSigned(tx: SignedTx): Transaction {
  try {
    const parsed = Transaction.from(tx.raw)
    if (parsed.hash === null || parsed.hash !== tx.txid) throw new Error(`its hash is not ${tx.txid}`)
    return parsed
  } catch (cause) {
    throw new SwarmswapError('INVALID_ARGUMENT', `not a signed EVM transaction: ${String(cause)}`, { cause })
  }
}
