import { randomBytes } from 'node:crypto'
import bcoin, { type Address, type FullNode } from 'bcoin'
import type { RegtestClock } from './bitcoin-clock.js'

/**
 * Mines regtest blocks for one bcoin node, one at a time (a promise chain serialises generatetoaddress,
 * automine and interval mining so they never build on the same tip twice). Timestamps follow Bitcoin Core's
 * rule `max(now, median-time-past + 1)` against the node's (possibly mocked) clock.
 */
export class RegtestMiner {
  private readonly node: FullNode
  private readonly clock: RegtestClock
  private queue: Promise<unknown> = Promise.resolve()
  private pendingBlock: Promise<void> | null = null

  constructor(node: FullNode, clock: RegtestClock) {
    this.node = node
    this.clock = clock
  }

  /** Mines `count` blocks paying `address` (a throwaway one when omitted); resolves to their hashes. */
  mine(count: number, address: Address = throwawayAddress()): Promise<string[]> {
    return this.serialised(async () => {
      const hashes: string[] = []
      for (let i = 0; i < count; i++) hashes.push(await this.mineOne(address, this.clock.now()))
      return hashes
    })
  }

  /**
   * Mines `count` blocks whose timestamps end just before now, one second apart, so a start-up chain does
   * not run ahead of the clock (a chain mined in a burst at `now` would push median-time-past into the future
   * and make time-locks expire early).
   */
  mineBackdated(count: number, address: Address = throwawayAddress()): Promise<string[]> {
    return this.serialised(async () => {
      const hashes: string[] = []
      const now = this.clock.now()
      for (let i = 0; i < count; i++) hashes.push(await this.mineOne(address, now - count + i))
      return hashes
    })
  }

  /**
   * Automine: one block for everything that entered the mempool in the same turn of the event loop.
   * Callers that arrive while the block is being assembled share it; later callers get the next one.
   */
  mineSoon(): Promise<void> {
    this.pendingBlock ??= new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      this.pendingBlock = null
      // A transaction accepted while the previous block was being built may already be in it: no empty block.
      await this.serialised(async () => {
        if (this.node.mempool.map.size > 0) await this.mineOne(throwawayAddress(), this.clock.now())
      })
    })
    return this.pendingBlock
  }

  /** Resolves once every queued mining job has finished. */
  async idle(): Promise<void> {
    await this.pendingBlock?.catch(() => {})
    await this.queue.catch(() => {})
  }

  private serialised<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job)
    this.queue = run.catch(() => {})
    return run
  }

  private async mineOne(address: Address, time: number): Promise<string> {
    const job = await this.node.miner.cpu.createJob(null, address)
    job.attempt.time = Math.max(time, job.attempt.mtp + 1)
    const block = await this.node.miner.cpu.mineAsync(job)
    const entry = await this.node.chain.add(block)
    if (entry === null) throw new Error('bcoin did not connect a block it mined')
    return entry.rhash()
  }
}

/** A P2WPKH address nobody holds the key of: blocks mined "to nowhere" still need a coinbase output. */
export function throwawayAddress(): Address {
  return bcoin.Address.fromWitnessPubkeyhash(randomBytes(20))
}
