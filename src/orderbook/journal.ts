/**
 * The node's journal of its own order events, kept in a hypercore.
 *
 * Why hypercore: the journal is exactly what a hypercore is, an append-only, signed, Merkle-verified log
 * with one writer. Appends are cheap and crash-safe (a torn write is detected by the tree, never replayed
 * as half an event), replay is a sequential read from block 0, and the log is already in the format that
 * Holepunch replication speaks, so a later release can back it up or hand it to a second device with
 * `store.replicate(conn)` instead of inventing a sync protocol. A plain JSON file would need its own
 * atomic-rewrite and corruption handling; a database would be more machinery than an append-only log needs.
 *
 * Each block is one event in the wire protocol's own encoding (see encodeEvent), so the journal never holds a
 * float and is read back through the same validating decoder as a peer's message.
 */
import { join } from 'node:path'
import Corestore from 'corestore'
import type Hypercore from 'hypercore'
import { SwarmswapError } from '../errors.js'
import type { WireMessage } from '../p2p/messages.js'
import { decodeMessage, encodeMessage } from '../p2p/wire.js'
import { toHex } from '../p2p/wire-codec.js'
import type { SignedOrder } from './types.js'

export type JournalEvent =
  | { type: 'placed'; order: SignedOrder }
  | { type: 'cancelled'; id: Uint8Array }
  | { type: 'updated'; id: Uint8Array; remaining: bigint }

/** An own order still live after replay, with what is left of it. */
export interface JournalOrder {
  order: SignedOrder
  remaining: bigint
}

const CORE_NAME = 'own-orders'

export class OrderJournal {
  readonly #store: Corestore
  #core: Hypercore | null = null
  #opening: Promise<void> | null = null
  #closing: Promise<void> | null = null

  /** Keeps its corestore in `<dir>/journal`. */
  constructor(dir: string) {
    this.#store = new Corestore(join(dir, 'journal'))
  }

  ready(): Promise<void> {
    this.#opening ??= (async () => {
      const core = this.#store.get({ name: CORE_NAME })
      await core.ready()
      this.#core = core
    })()
    return this.#opening
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#opening?.catch(() => {})
      await this.#store.close()
    })()
    return this.#closing
  }

  get length(): number {
    return this.#core?.length ?? 0
  }

  /** Appends one event; resolves once it is stored. */
  async append(event: JournalEvent): Promise<void> {
    if (this.#core === null || this.#closing !== null) {
      throw new SwarmswapError('CLOSED', 'the order journal is not open')
    }
    await this.#core.append(Buffer.from(encodeEvent(event)))
  }

  /** Reads every event from the start. A block that does not parse is a corrupt journal: an error, not a skip. */
  async events(): Promise<JournalEvent[]> {
    if (this.#core === null) throw new SwarmswapError('CLOSED', 'the order journal is not open')
    const events: JournalEvent[] = []
    let index = 0
    for await (const block of this.#core.createReadStream()) {
      events.push(decodeEvent(block as Buffer, index++))
    }
    return events
  }
}

/** Folds events into the orders still live (not cancelled, not filled to 0); expiry is the caller's concern. */
export function liveOrders(events: Iterable<JournalEvent>): Map<string, JournalOrder> {
  const live = new Map<string, JournalOrder>()
  for (const event of events) {
    if (event.type === 'placed') {
      live.set(toHex(event.order.id), { order: event.order, remaining: event.order.amount })
      continue
    }
    const key = toHex(event.id)
    const held = live.get(key)
    if (held === undefined) continue
    if (event.type === 'cancelled' || event.remaining === 0n) live.delete(key)
    else live.set(key, { order: held.order, remaining: event.remaining })
  }
  return live
}

/**
 * Events are stored as the protocol's own messages (docs/PROTOCOL.md): placed = an `orders` message with the
 * one order, cancelled = `cancel`, updated = `update`. One canonical encoding, one validating decoder.
 */
function encodeEvent(event: JournalEvent): Uint8Array {
  switch (event.type) {
    case 'placed':
      return encodeMessage({ type: 'orders', orders: [event.order] })
    case 'cancelled':
      return encodeMessage({ type: 'cancel', ids: [event.id] })
    case 'updated':
      return encodeMessage({ type: 'update', id: event.id, remaining: event.remaining })
  }
}

function decodeEvent(block: Uint8Array, index: number): JournalEvent {
  let message: WireMessage
  try {
    message = decodeMessage(block, { maxMessageBytes: Number.POSITIVE_INFINITY })
  } catch (error) {
    throw new SwarmswapError('BAD_DATA', `journal block ${index} is not an order event`, {
      cause: error,
      details: { index },
    })
  }
  if (message.type === 'orders' && message.orders.length === 1 && message.orders[0] !== undefined) {
    return { type: 'placed', order: message.orders[0] }
  }
  if (message.type === 'cancel' && message.ids.length === 1 && message.ids[0] !== undefined) {
    return { type: 'cancelled', id: message.ids[0] }
  }
  if (message.type === 'update') return { type: 'updated', id: message.id, remaining: message.remaining }
  throw new SwarmswapError(
    'BAD_DATA',
    `journal block ${index} is a ${message.type} message, not an order event`,
    {
      details: { index },
    },
  )
}
