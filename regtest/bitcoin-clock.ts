import type { Network } from 'bcoin'

const wallClock = (): number => Math.floor(Date.now() / 1000)

/**
 * The regtest node's notion of "now" (unix seconds), with Bitcoin Core's `setmocktime` semantics: a mock time
 * freezes the clock; 0 returns to the system clock. `skipTo` moves a running clock forward without freezing
 * it (like anvil's time travel). Every change is mirrored into bcoin's network clock so bcoin's own checks
 * (blocks no more than 2 h in the future) agree with the blocks this node mines. bcoin keeps that clock on a
 * process-wide network object, so nodes in one process share that tolerance window, not their mock times.
 */
export class RegtestClock {
  private mockTime: number | null = null
  private offset = 0
  private readonly network: Network

  constructor(network: Network) {
    this.network = network
  }

  now(): number {
    return this.mockTime ?? wallClock() + this.offset
  }

  /** Core's setmocktime: freeze at `unixSeconds`, or 0 for the system clock. */
  setMockTime(unixSeconds: number): void {
    this.mockTime = unixSeconds === 0 ? null : unixSeconds
    if (unixSeconds === 0) this.offset = 0
    this.sync()
  }

  /** Move the clock to `unixSeconds` if it is behind; a frozen clock stays frozen, a running one keeps running. */
  skipTo(unixSeconds: number): void {
    if (this.now() >= unixSeconds) return
    if (this.mockTime !== null) this.mockTime = unixSeconds
    else this.offset = unixSeconds - wallClock()
    this.sync()
  }

  private sync(): void {
    this.network.time.offset = Math.max(this.network.time.offset, this.now() - wallClock())
  }
}
