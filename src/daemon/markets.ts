import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { DATADIR_FILES } from '../api/paths.js'
import { SwarmswapError } from '../errors.js'
import { assertMarket, marketId, marketSchema } from '../orderbook/market.js'
import type { OrderbookNode } from '../orderbook/node.js'
import type { BookChange, Market } from '../orderbook/types.js'

/**
 * The markets the daemon has joined, remembered in `<datadir>/markets.json` so a restarted daemon
 * rejoins them, and the feed of their books' changes.
 */
export class JoinedMarkets {
  readonly #node: OrderbookNode
  readonly #file: string
  readonly #onChange: (market: Market, change: BookChange) => void
  readonly #joined = new Map<string, { market: Market; unsubscribe: () => void }>()
  /** File writes one at a time, so the last join or leave is what the file says. */
  #writing: Promise<void> = Promise.resolve()

  constructor(options: {
    node: OrderbookNode
    datadir: string
    onChange: (market: Market, change: BookChange) => void
  }) {
    this.#node = options.node
    this.#file = join(options.datadir, DATADIR_FILES.markets)
    this.#onChange = options.onChange
  }

  /** Rejoins the remembered markets (the node is ready). */
  async ready(): Promise<void> {
    let stored: Market[] = []
    try {
      stored = z.array(marketSchema).parse(JSON.parse(await readFile(this.#file, 'utf8')))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new SwarmswapError('BAD_DATA', `${this.#file} is not a list of markets`, { cause: error })
      }
    }
    await Promise.all(stored.map((market) => this.join(market)))
  }

  list(): Market[] {
    return [...this.#joined.values()].map(({ market }) => market)
  }

  has(market: Market): boolean {
    return this.#joined.has(marketId(market))
  }

  async join(market: Market): Promise<void> {
    const valid = assertMarket(market)
    const key = marketId(valid)
    if (this.#joined.has(key)) return
    await this.#node.join(valid)
    if (this.#joined.has(key)) return
    const unsubscribe = this.#node.book(valid).subscribe((change) => this.#onChange(valid, change))
    this.#joined.set(key, { market: valid, unsubscribe })
    await this.#save()
  }

  /** Leaves a market; refused while own orders live in it (they would vanish from view, not from peers). */
  async leave(market: Market): Promise<void> {
    const key = marketId(market)
    const joined = this.#joined.get(key)
    if (joined === undefined) throw new SwarmswapError('NOT_FOUND', `market ${key} is not joined`)
    const me = Buffer.from(this.#node.publicKey).toString('hex')
    if (this.#node.book(joined.market).countOf(me) > 0) {
      throw new SwarmswapError('INVALID_ARGUMENT', `cancel your orders in ${key} before leaving it`)
    }
    joined.unsubscribe()
    this.#joined.delete(key)
    await this.#node.leave(joined.market)
    await this.#save()
  }

  #save(): Promise<void> {
    const text = `${JSON.stringify(this.list())}\n`
    this.#writing = this.#writing.then(async () => {
      await writeFile(`${this.#file}.tmp`, text, { mode: 0o600 })
      await rename(`${this.#file}.tmp`, this.#file)
    })
    return this.#writing
  }
}
