import { comparePrice, type Price, reducePrice } from './book-price.js'
import type { DepthLevel } from './types.js'

/**
 * The depth of one side, kept up to date on every change so a read is one slice: levels by exact price
 * (reduced fraction), best first. Levels are frozen and replaced, never mutated, so handed-out ones stay
 * true to the moment they were read.
 */
export class BookLevels {
  readonly #levels: DepthLevel[] = []
  /** Negative if price `a` is better than `b` on this side. */
  readonly #better: (a: Price, b: Price) => number

  constructor(side: 'buy' | 'sell') {
    this.#better = side === 'buy' ? (a, b) => comparePrice(b, a) : comparePrice
  }

  /** The best `count` levels. */
  top(count: number): DepthLevel[] {
    return this.#levels.slice(0, count)
  }

  /** Adds `amount` base units (negative to take away) and `orders` orders at `price`. */
  change(price: Price, amount: bigint, orders: number): void {
    const index = this.#firstNotBetter(price)
    const level = this.#levels[index]
    if (level === undefined || this.#better(level, price) !== 0) {
      this.#levels.splice(index, 0, Object.freeze({ ...reducePrice(price), amount, orders }))
    } else if (level.orders + orders === 0) {
      this.#levels.splice(index, 1)
    } else {
      this.#levels[index] = Object.freeze({
        ...level,
        amount: level.amount + amount,
        orders: level.orders + orders,
      })
    }
  }

  #firstNotBetter(price: Price): number {
    let low = 0
    let high = this.#levels.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (this.#better(this.#levels[middle] as DepthLevel, price) < 0) low = middle + 1
      else high = middle
    }
    return low
  }
}
