import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'ava'
import { type JournalEvent, liveOrders, OrderJournal } from '../../src/orderbook/journal.js'
import { hex } from '../helpers/bytes.js'
import { makeOrder } from '../helpers/orders.js'

const dirs: string[] = []
test.after.always(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })))
})

/** Bytes as hex, so a Buffer and a Uint8Array of the same bytes compare equal. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return hex(value)
  if (Array.isArray(value)) return value.map(plain)
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
  }
  return value
}

const a = makeOrder({ side: 'sell', price: '3/2', amount: 1000n })
const b = makeOrder({ side: 'buy', price: '1/2', amount: 500n })
const c = makeOrder({ side: 'sell', price: '5/1', amount: 700n })

test('events survive a close and reopen, bigints and bytes intact', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'swarmswap-journal-'))
  dirs.push(dir)
  const events: JournalEvent[] = [
    { type: 'placed', order: a },
    { type: 'placed', order: b },
    { type: 'updated', id: a.id, remaining: 400n },
    { type: 'cancelled', id: b.id },
  ]
  const journal = new OrderJournal(dir)
  await journal.ready()
  for (const event of events) await journal.append(event)
  await journal.close()
  await journal.close()

  const reopened = new OrderJournal(dir)
  await reopened.ready()
  t.is(reopened.length, 4)
  t.deepEqual(plain(await reopened.events()), plain(events))
  await reopened.close()
})

const foldCases: { name: string; events: JournalEvent[]; live: Record<string, bigint> }[] = [
  {
    name: 'placed orders are live at full amount',
    events: [{ type: 'placed', order: a }],
    live: { [hex(a.id)]: 1000n },
  },
  {
    name: 'a cancel removes, an update shrinks, an update to 0 removes',
    events: [
      { type: 'placed', order: a },
      { type: 'placed', order: b },
      { type: 'placed', order: c },
      { type: 'cancelled', id: b.id },
      { type: 'updated', id: a.id, remaining: 250n },
      { type: 'updated', id: c.id, remaining: 0n },
    ],
    live: { [hex(a.id)]: 250n },
  },
  {
    name: 'events about unknown ids are ignored',
    events: [
      { type: 'cancelled', id: a.id },
      { type: 'updated', id: b.id, remaining: 3n },
    ],
    live: {},
  },
]
for (const { name, events, live } of foldCases) {
  test(`liveOrders: ${name}`, (t) => {
    const folded = liveOrders(events)
    t.deepEqual(Object.fromEntries([...folded].map(([id, o]) => [id, o.remaining])), live)
  })
}

test('append after close is refused', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'swarmswap-journal-'))
  dirs.push(dir)
  const journal = new OrderJournal(dir)
  await journal.ready()
  await journal.close()
  await t.throwsAsync(journal.append({ type: 'cancelled', id: a.id }), { code: 'CLOSED' } as never)
})
