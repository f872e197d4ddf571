/**
 * Results of a pure computation, remembered by key: for work repeated on every read of a swap (hashes, key
 * derivations, scripts). Bounded: past `limit` entries it starts over, which costs only recomputation.
 */
export class Memo<V> {
  readonly #values = new Map<string, V>()

  constructor(readonly limit = 4096) {}

  /** The value remembered for `key`, else `compute()` (remembered unless it throws). */
  get(key: string, compute: () => V): V {
    const known = this.#values.get(key)
    if (known !== undefined) return known
    const value = compute()
    if (this.#values.size >= this.limit) this.#values.clear()
    this.#values.set(key, value)
    return value
  }
}
