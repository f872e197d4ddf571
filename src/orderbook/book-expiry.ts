import type { SignedOrder } from './types.js'

/** An order with `expiry` (unix s) is void from that second on: at `nowMs` >= expiry * 1000. */
export function isExpired(expiry: number, nowMs: number): boolean {
  return expiry * 1000 <= nowMs
}

/** One order's expiry as queued: live while the book still holds this very order object under `idHex`. */
export interface ExpiryRecord {
  /** Unix seconds. */
  expiry: number
  idHex: string
  order: SignedOrder
}

/**
 * A min-heap of order expiries with lazy deletion: removing an order leaves its record behind, and the
 * book skips records whose order is gone (`isLive`). `compact` drops that garbage when it piles up.
 */
export class ExpiryQueue {
  #heap: ExpiryRecord[] = []

  get length(): number {
    return this.#heap.length
  }

  push(record: ExpiryRecord): void {
    const heap = this.#heap
    heap.push(record)
    let child = heap.length - 1
    while (child > 0) {
      const parent = (child - 1) >>> 1
      if ((heap[parent] as ExpiryRecord).expiry <= record.expiry) break
      heap[child] = heap[parent] as ExpiryRecord
      child = parent
    }
    heap[child] = record
  }

  /** The earliest record still live, after dropping the stale ones in front of it. */
  peek(isLive: (record: ExpiryRecord) => boolean): ExpiryRecord | undefined {
    while (this.#heap.length > 0) {
      const first = this.#heap[0] as ExpiryRecord
      if (isLive(first)) return first
      this.#popFirst()
    }
    return undefined
  }

  /** Removes and returns the earliest live record if it is expired at `nowMs`. */
  popExpired(nowMs: number, isLive: (record: ExpiryRecord) => boolean): ExpiryRecord | undefined {
    const first = this.peek(isLive)
    if (first === undefined || !isExpired(first.expiry, nowMs)) return undefined
    this.#popFirst()
    return first
  }

  /** Rebuilds the heap from its live records only. */
  compact(isLive: (record: ExpiryRecord) => boolean): void {
    const live = this.#heap.filter(isLive)
    this.#heap = []
    for (const record of live) this.push(record)
  }

  #popFirst(): void {
    const heap = this.#heap
    const last = heap.pop() as ExpiryRecord
    if (heap.length === 0) return
    let parent = 0
    for (;;) {
      const left = 2 * parent + 1
      if (left >= heap.length) break
      const right = left + 1
      const child =
        right < heap.length && (heap[right] as ExpiryRecord).expiry < (heap[left] as ExpiryRecord).expiry
          ? right
          : left
      if ((heap[child] as ExpiryRecord).expiry >= last.expiry) break
      heap[parent] = heap[child] as ExpiryRecord
      parent = child
    }
    heap[parent] = last
  }
}
