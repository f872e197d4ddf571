import { SwarmswapError } from '../errors.js'
import type { BookEntry } from './types.js'

/**
 * The entries of one side of a book, kept sorted best first by a total order, so a read is one copy and
 * a write is a binary search plus one splice (a memmove; ~10 us at 10,000 entries).
 */
export class BookSide {
  readonly #entries: BookEntry[] = []
  readonly #compare: (a: BookEntry, b: BookEntry) => number

  /** `compare` must be a total order on the entries held (the book breaks its last ties by order id). */
  constructor(compare: (a: BookEntry, b: BookEntry) => number) {
    this.#compare = compare
  }

  get length(): number {
    return this.#entries.length
  }

  /** Best first. The array is the side's own: callers copy it before handing it out. */
  get entries(): readonly BookEntry[] {
    return this.#entries
  }

  insert(entry: BookEntry): void {
    this.#entries.splice(this.#firstNotBefore(entry), 0, entry)
  }

  remove(entry: BookEntry): void {
    this.#entries.splice(this.#indexOf(entry), 1)
  }

  /** Swaps an entry for one that sorts at the same place (same order, new remaining). */
  replace(entry: BookEntry, next: BookEntry): void {
    this.#entries[this.#indexOf(entry)] = next
  }

  #indexOf(entry: BookEntry): number {
    const index = this.#firstNotBefore(entry)
    if (this.#entries[index] !== entry)
      throw new SwarmswapError('INTERNAL', 'an order book entry is not where its sort order says')
    return index
  }

  /** Index of the first entry that does not sort before `entry` (lower bound). */
  #firstNotBefore(entry: BookEntry): number {
    let low = 0
    let high = this.#entries.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (this.#compare(this.#entries[middle] as BookEntry, entry) < 0) low = middle + 1
      else high = middle
    }
    return low
  }
}
