import { setTimeout as sleep } from 'node:timers/promises'
import type { RegtestControl } from '../../regtest/control.js'

/**
 * Automining, from the test's side, for a regtest Bitcoin node started with manual mining: a block whenever
 * the mempool holds a transaction, until paused. Pausing is how a test stops the chain from confirming
 * anything (a claim left at a low fee rate, a lock reorganised back into the mempool); the node's own
 * automine cannot be switched off while it runs.
 */
export class PausableMiner {
  readonly #control: RegtestControl
  readonly #intervalMs: number
  #paused = false
  #closed = false
  /** The current round: a mempool read and maybe a block. */
  #round: Promise<void> = Promise.resolve()
  #loop: Promise<void> | null = null
  #failure: unknown = null

  constructor(control: RegtestControl, intervalMs = 25) {
    this.#control = control
    this.#intervalMs = intervalMs
  }

  start(): void {
    this.#loop ??= this.#run()
  }

  /** Mines nothing from now on; resolves once a block being mined at the call is in. */
  async pause(): Promise<void> {
    this.#paused = true
    await this.#round
  }

  resume(): void {
    this.#paused = false
  }

  /** Stops for good; throws what made a round fail, if anything did. */
  async close(): Promise<void> {
    this.#closed = true
    await this.#loop
    if (this.#failure !== null) throw this.#failure
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      this.#round = this.#mineIfPending().catch((error: unknown) => {
        this.#failure ??= error
      })
      await this.#round
      await sleep(this.#intervalMs)
    }
  }

  async #mineIfPending(): Promise<void> {
    if (this.#paused) return
    const mempool = await this.#control.bitcoinRpc.getRawMempool()
    // Paused while the mempool was read: the caller of pause() counts on no block after it.
    if (mempool.length > 0 && !this.#paused && !this.#closed) await this.#control.mineBitcoin(1)
  }
}
