import {
  type BlockTag,
  Contract,
  ContractFactory,
  type ContractRunner,
  getAddress,
  Interface,
  isHexString,
  type Log,
  type Provider,
  type Signer,
  sha256,
  type TransactionReceipt,
  type TransactionRequest,
  ZeroAddress,
} from 'ethers'
import { z } from 'zod'
import { SwarmswapError } from '../../errors.js'
import { loadArtifact } from './artifacts.js'
import { decodeRevert } from './revert.js'
import { checksummed, type EvmSwapTerms, normalizeTerms, packRecipientAndDeadline, swapKey } from './terms.js'

export type EvmSwapState = 'empty' | 'locked' | 'claimed' | 'refunded'

/** A mined transaction of this wrapper. */
export interface EvmTxResult {
  txHash: string
  blockNumber: number
  gasUsed: bigint
}

/** A Locked event, decoded, plus whether the swap is still live now. */
export interface EvmLockFound {
  contractAddress: string
  terms: EvmSwapTerms
  key: string
  txHash: string
  blockNumber: number
  /** Block number stored in the swap's slot now; 0n once it was claimed or refunded. */
  lockedAt: bigint
}

export interface EvmClaimFound {
  preimage: string
  key: string
  txHash: string
  blockNumber: number
}

export interface EvmRefundFound {
  key: string
  txHash: string
  blockNumber: number
}

/** The Locked event of a swap, without the slot read `findLocked` adds. */
export type EvmLockEvent = Omit<EvmLockFound, 'lockedAt'>

/** One event of a hashlock, as `history` returns them in chain order. */
export type EvmHtlcEvent =
  | ({ kind: 'locked' } & EvmLockEvent)
  | ({ kind: 'claimed' } & EvmClaimFound)
  | ({ kind: 'refunded' } & EvmRefundFound)

type HtlcEventName = 'Locked' | 'Claimed' | 'Refunded'

const bytes32 = z.string().refine((v) => isHexString(v, 32), 'expected 32 bytes of hex')
const lockedArgs = z.object({
  hashlock: bytes32,
  sender: z.string(),
  recipient: z.string(),
  token: z.string(),
  amount: z.bigint(),
  deadline: z.bigint(),
})
const claimedArgs = z.object({ hashlock: bytes32, key: bytes32, preimage: bytes32 })
const refundedArgs = z.object({ hashlock: bytes32, key: bytes32 })

function htlcInterface(): Interface {
  return new Interface(loadArtifact('HTLC').abi)
}

/** The 32-byte preimage as 0x hex; anything else is INVALID_ARGUMENT (the contract takes exactly 32 bytes). */
function checkPreimage(preimage: string): string {
  if (!isHexString(preimage, 32)) {
    throw new SwarmswapError('INVALID_ARGUMENT', 'the preimage must be exactly 32 bytes of 0x hex')
  }
  return preimage.toLowerCase()
}

/**
 * Typed client of one deployed HTLC contract. Sending methods need a Signer runner; the `*Tx` encoders
 * only build the transaction, so a caller can store it before broadcasting (write-ahead).
 */
export class EvmHtlc {
  readonly address: string
  readonly interface: Interface
  private readonly runner: ContractRunner
  private readonly contract: Contract

  constructor(address: string, runner: ContractRunner) {
    this.address = getAddress(address)
    this.runner = runner
    this.interface = htlcInterface()
    this.contract = new Contract(this.address, this.interface, runner)
  }

  static async deploy(signer: Signer): Promise<EvmHtlc> {
    const { abi, bytecode } = loadArtifact('HTLC')
    const contract = await new ContractFactory(abi, bytecode, signer).deploy()
    await contract.waitForDeployment()
    return new EvmHtlc(await contract.getAddress(), signer)
  }

  /** The lock transaction; an ERC-20 lock needs an allowance of `amount` for this contract first. */
  lockTx(terms: EvmSwapTerms): TransactionRequest {
    const t = normalizeTerms(terms)
    if (t.token === ZeroAddress) {
      const data = this.interface.encodeFunctionData('lock', [packRecipientAndDeadline(t), t.hashlock])
      return { to: this.address, data, value: t.amount }
    }
    const data = this.interface.encodeFunctionData('lockToken', [
      packRecipientAndDeadline(t),
      t.token,
      t.amount,
      t.hashlock,
    ])
    return { to: this.address, data, value: 0n }
  }

  claimTx(terms: EvmSwapTerms, preimage: string): TransactionRequest {
    const t = normalizeTerms(terms)
    const data = this.interface.encodeFunctionData('claim', [
      t.sender,
      packRecipientAndDeadline(t),
      t.token,
      t.amount,
      checkPreimage(preimage),
    ])
    return { to: this.address, data, value: 0n }
  }

  refundTx(terms: EvmSwapTerms): TransactionRequest {
    const t = normalizeTerms(terms)
    const data = this.interface.encodeFunctionData('refund', [
      t.sender,
      packRecipientAndDeadline(t),
      t.token,
      t.amount,
      t.hashlock,
    ])
    return { to: this.address, data, value: 0n }
  }

  /** Locks from the runner, which must be `terms.sender`. */
  async lock(terms: EvmSwapTerms): Promise<EvmTxResult> {
    const signer = this.signer()
    const sender = getAddress(await signer.getAddress())
    if (sender !== getAddress(terms.sender)) {
      throw new SwarmswapError('INVALID_ARGUMENT', `terms.sender ${terms.sender} is not the signer ${sender}`)
    }
    return await this.send(this.lockTx(terms), 'lock')
  }

  /** Claims for `terms.recipient`; any signer may send it. */
  async claim(terms: EvmSwapTerms, preimage: string): Promise<EvmTxResult> {
    return await this.send(this.claimTx(terms, preimage), 'claim')
  }

  /** Refunds to `terms.sender` once the deadline is reached; any signer may send it. */
  async refund(terms: EvmSwapTerms): Promise<EvmTxResult> {
    return await this.send(this.refundTx(terms), 'refund')
  }

  /** The block number stored in the swap's slot: nonzero while the swap is live. */
  async lockedAt(terms: EvmSwapTerms, blockTag: BlockTag = 'latest'): Promise<bigint> {
    const value: unknown = await this.contract
      .getFunction('lockedAt')
      .staticCall(swapKey(terms), { blockTag })
    return z.bigint().parse(value)
  }

  /**
   * 'locked' while the slot is set; otherwise 'claimed' or 'refunded' when an event of this very swap
   * (same key, not just the same hashlock) exists from `fromBlock` on, else 'empty'.
   */
  async state(terms: EvmSwapTerms, fromBlock: BlockTag = 0): Promise<EvmSwapState> {
    if ((await this.lockedAt(terms)) !== 0n) return 'locked'
    const key = swapKey(terms)
    const claims = await this.findClaimed(terms.hashlock, fromBlock)
    if (claims.some((c) => c.key === key)) return 'claimed'
    const refunds = await this.findRefunded(terms.hashlock, fromBlock)
    if (refunds.some((r) => r.key === key)) return 'refunded'
    return 'empty'
  }

  /** Every Locked event with this hashlock, oldest first, each with its current slot value. */
  async findLocked(hashlock: string, fromBlock: BlockTag = 0): Promise<EvmLockFound[]> {
    const logs = await this.logs(['Locked'], hashlock, fromBlock)
    return await Promise.all(
      logs.map(async (log) => {
        const lock = this.decodeLocked(log)
        return { ...lock, lockedAt: await this.lockedAt(lock.terms) }
      }),
    )
  }

  /**
   * Claims of swaps with this hashlock, oldest first. Each preimage is checked against the hashlock, so
   * any entry reveals the secret.
   */
  async findClaimed(hashlock: string, fromBlock: BlockTag = 0): Promise<EvmClaimFound[]> {
    const logs = await this.logs(['Claimed'], hashlock, fromBlock)
    return logs.map((log) => this.decodeClaimed(log))
  }

  async findRefunded(hashlock: string, fromBlock: BlockTag = 0): Promise<EvmRefundFound[]> {
    const logs = await this.logs(['Refunded'], hashlock, fromBlock)
    return logs.map((log) => this.decodeRefunded(log))
  }

  /**
   * Every Locked, Claimed and Refunded event of this hashlock in chain order, from one getLogs: one
   * consistent view of the chain, in which a swap is live exactly when its last event is its Locked one.
   */
  async history(hashlock: string, fromBlock: BlockTag = 0): Promise<EvmHtlcEvent[]> {
    const logs = await this.logs(['Locked', 'Claimed', 'Refunded'], hashlock, fromBlock)
    const topics = {
      locked: this.topic('Locked'),
      claimed: this.topic('Claimed'),
      refunded: this.topic('Refunded'),
    }
    return [...logs]
      .sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index)
      .map((log): EvmHtlcEvent => {
        if (log.topics[0] === topics.locked) return { kind: 'locked', ...this.decodeLocked(log) }
        if (log.topics[0] === topics.claimed) return { kind: 'claimed', ...this.decodeClaimed(log) }
        if (log.topics[0] === topics.refunded) return { kind: 'refunded', ...this.decodeRefunded(log) }
        throw new SwarmswapError('BAD_DATA', `log ${log.transactionHash} is no HTLC event`)
      })
  }

  private decodeLocked(log: Log): EvmLockEvent {
    const args = lockedArgs.parse(this.interface.decodeEventLog('Locked', log.data, log.topics).toObject())
    const terms = normalizeTerms(args)
    return {
      contractAddress: checksummed(log.address),
      terms,
      key: swapKey(terms),
      txHash: log.transactionHash,
      blockNumber: log.blockNumber,
    }
  }

  private decodeClaimed(log: Log): EvmClaimFound {
    const args = claimedArgs.parse(this.interface.decodeEventLog('Claimed', log.data, log.topics).toObject())
    if (sha256(args.preimage) !== args.hashlock.toLowerCase()) {
      throw new SwarmswapError('BAD_DATA', `Claimed event in ${log.transactionHash} has a wrong preimage`)
    }
    return {
      preimage: args.preimage,
      key: args.key,
      txHash: log.transactionHash,
      blockNumber: log.blockNumber,
    }
  }

  private decodeRefunded(log: Log): EvmRefundFound {
    const args = refundedArgs.parse(
      this.interface.decodeEventLog('Refunded', log.data, log.topics).toObject(),
    )
    return { key: args.key, txHash: log.transactionHash, blockNumber: log.blockNumber }
  }

  private topic(event: HtlcEventName): string {
    const topic = this.interface.getEvent(event)?.topicHash
    if (topic === undefined) throw new SwarmswapError('INTERNAL', `HTLC ABI has no ${event} event`)
    return topic
  }

  /** Logs of any of `events` with this hashlock (their first indexed topic). */
  private async logs(events: HtlcEventName[], hashlock: string, fromBlock: BlockTag): Promise<Log[]> {
    if (!isHexString(hashlock, 32))
      throw new SwarmswapError('INVALID_ARGUMENT', 'hashlock must be 32 bytes of 0x hex')
    return await this.provider().getLogs({
      address: this.address,
      topics: [events.map((event) => this.topic(event)), hashlock.toLowerCase()],
      fromBlock,
      toBlock: 'latest',
    })
  }

  private provider(): Provider {
    const provider = this.runner.provider
    if (provider === null || provider === undefined) {
      throw new SwarmswapError('INVALID_ARGUMENT', 'the HTLC runner has no provider')
    }
    return provider
  }

  private signer(): Signer {
    const runner = this.runner as Partial<Signer>
    if (typeof runner.sendTransaction !== 'function' || typeof runner.getAddress !== 'function') {
      throw new SwarmswapError('INVALID_ARGUMENT', 'sending needs a Signer as the HTLC runner')
    }
    return runner as Signer
  }

  /** Sends, waits for the receipt, and maps every revert (estimate or mined) to CONTRACT_REVERT. */
  private async send(tx: TransactionRequest, action: string): Promise<EvmTxResult> {
    let receipt: TransactionReceipt | null
    try {
      const response = await this.signer().sendTransaction(tx)
      receipt = await response.wait()
    } catch (error) {
      throw decodeRevert(error, this.interface, action)
    }
    if (receipt === null) throw new SwarmswapError('INTERNAL', `${action}: no receipt`)
    return { txHash: receipt.hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed }
  }
}
