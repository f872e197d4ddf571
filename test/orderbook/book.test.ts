import { performance } from 'node:perf_hooks'
import test from 'ava'
import { percentile } from '../../bench/stats.js'
import { isSwarmswapError } from '../../src/errors.js'
import { canTake, minTake, OrderBook, type OrderBookOptions } from '../../src/orderbook/book.js'
import type { BookChange, BookEntry, SignedOrder } from '../../src/orderbook/types.js'
import * as fixtures from '../fixtures/orderbook/book.js'
import { hex } from '../helpers/bytes.js'
import { makeOrder, TEST_MARKET, TEST_NOW_MS, type TestOrderParams, testMaker } from '../helpers/orders.js'

const BASE_MS = TEST_NOW_MS - 60_000

/** A book on the tests' market whose clock the test moves by hand. */
function newBook(options: OrderBookOptions = {}) {
  const clock = { ms: TEST_NOW_MS }
  const book = new OrderBook(TEST_MARKET, { now: () => clock.ms, ...options })
  const changes: BookChange[] = []
  book.subscribe((change) => changes.push(change))
  return { book, clock, changes }
}

function labelled(book: OrderBook, orders: fixtures.FixtureOrder[]): Map<string, string> {
  const labels = new Map<string, string>()
  for (const o of orders) {
    const order = makeOrder({
      side: o.side,
      price: o.price,
      amount: o.amount ?? 100_000n,
      minFill: 1n,
      createdAt: BASE_MS + (o.createdAt ?? 0),
      nonceSeed: o.label,
    })
    labels.set(hex(order.id), o.label)
    const receivedAt = o.receivedAt === undefined ? undefined : TEST_NOW_MS + o.receivedAt
    if (!book.add(order, o.remaining ?? order.amount, receivedAt))
      throw new Error(`fixture ${o.label} refused`)
  }
  return labels
}

const labelsOf = (entries: BookEntry[], labels: Map<string, string>) =>
  entries.map((e) => labels.get(hex(e.order.id)))
const levelText = (l: { priceNum: bigint; priceDen: bigint; amount: bigint; orders: number }) =>
  `${l.priceNum}/${l.priceDen} ${l.amount} ${l.orders}`

for (const c of fixtures.priority) {
  test(`priority: ${c.description}`, (t) => {
    const { book } = newBook()
    const labels = labelled(book, c.orders)
    t.deepEqual(labelsOf(book.bids(), labels), c.bids)
    t.deepEqual(labelsOf(book.asks(), labels), c.asks)
  })
  test(`priority does not depend on insertion order: ${c.description}`, (t) => {
    const { book } = newBook()
    const labels = labelled(book, [...c.orders].reverse())
    t.deepEqual(labelsOf(book.bids(), labels), c.bids)
    t.deepEqual(labelsOf(book.asks(), labels), c.asks)
  })
}

test('priority: a full tie (price, createdAt, receivedAt) is broken by the order id', (t) => {
  const { book } = newBook()
  const orders = ['x', 'y', 'z', 'w'].map((seed) =>
    makeOrder({ side: 'sell', price: '1/2', nonceSeed: seed }),
  )
  for (const order of orders) book.add(order, order.amount, TEST_NOW_MS)
  const byId = orders.map((o) => hex(o.id)).sort()
  t.deepEqual(
    book.asks().map((e) => hex(e.order.id)),
    byId,
  )
})

for (const c of fixtures.depth) {
  test(`depth: ${c.description}`, (t) => {
    const { book } = newBook()
    labelled(book, c.orders)
    const depth = book.depth(c.levels)
    t.deepEqual(depth.bids.map(levelText), c.bids)
    t.deepEqual(depth.asks.map(levelText), c.asks)
  })
}

test('depth follows every change (its cache is dropped on add, update and remove)', (t) => {
  const { book } = newBook()
  const a = makeOrder({ side: 'sell', price: '2/1', amount: 50n, minFill: 1n })
  const b = makeOrder({ side: 'sell', price: '4/2', amount: 20n, minFill: 1n })
  book.add(a)
  t.deepEqual(book.depth().asks.map(levelText), ['2/1 50 1'])
  book.add(b)
  t.deepEqual(book.depth().asks.map(levelText), ['2/1 70 2'])
  book.setRemaining(hex(a.id), 5n)
  t.deepEqual(book.depth().asks.map(levelText), ['2/1 25 2'])
  book.remove(hex(b.id), 'cancelled')
  t.deepEqual(book.depth().asks.map(levelText), ['2/1 5 1'])
  t.deepEqual(book.depth().bids, [])
})

test('depth refuses a level count that is not a whole number >= 0', (t) => {
  const { book } = newBook()
  for (const levels of [-1, 1.5, Number.NaN]) {
    t.true(
      isSwarmswapError(
        t.throws(() => book.depth(levels)),
        'INVALID_ARGUMENT',
      ),
      String(levels),
    )
  }
})

/** `patch` makes an order no peer would send (createOrder refuses it), to show the book guards itself too. */
const refusedAdds: {
  description: string
  params: Partial<TestOrderParams>
  patch?: Partial<SignedOrder>
  remaining?: bigint
}[] = [
  { description: 'another network', params: { market: { ...TEST_MARKET, network: 'testnet' } } },
  { description: 'another base', params: { market: { ...TEST_MARKET, base: 'ETH', quote: 'BTC' } } },
  {
    description: 'another quote',
    params: { market: { ...TEST_MARKET, quote: `ERC20:0x${'1'.repeat(40)}` } },
  },
  { description: 'expired at exactly now (expiry * 1000 == now)', params: { expiry: TEST_NOW_MS / 1000 } },
  { description: 'expired a second ago', params: { expiry: TEST_NOW_MS / 1000 - 1 } },
  { description: 'remaining 0', params: {}, remaining: 0n },
  { description: 'remaining negative', params: {}, remaining: -5n },
  { description: 'remaining above the amount', params: { amount: 100n }, remaining: 101n },
  { description: 'a zero price', params: {}, patch: { priceNum: 0n } },
  { description: 'a zero denominator', params: {}, patch: { priceDen: 0n } },
  { description: 'a negative price', params: {}, patch: { priceNum: -1n, priceDen: -2n } },
]

for (const c of refusedAdds) {
  test(`add refuses ${c.description} and changes nothing`, (t) => {
    const { book, changes } = newBook()
    const order = { ...makeOrder({ side: 'sell', price: '1/2', ...c.params }), ...c.patch }
    t.false(book.add(order, c.remaining))
    t.is(book.size, 0)
    t.false(book.has(hex(order.id)))
    t.deepEqual(book.asks(), [])
    t.deepEqual(changes, [])
    t.is(book.nextExpiry(), null)
  })
}

test('add accepts an order one millisecond before its expiry, with remaining 1 or the amount', (t) => {
  const { book, clock } = newBook()
  clock.ms = TEST_NOW_MS - 1
  const order = makeOrder({ side: 'buy', price: '1/2', expiry: TEST_NOW_MS / 1000 })
  t.true(book.add(order, 1n))
  t.true(book.add(order, order.amount))
  t.is(book.get(hex(order.id))?.remaining, order.amount)
})

test('add: a new order is reported as added, with receivedAt from the clock by default', (t) => {
  const { book, changes } = newBook()
  const order = makeOrder({ side: 'buy', price: '3/7', amount: 500n })
  t.true(book.add(order, 400n))
  const entry = book.get(hex(order.id))
  t.deepEqual(entry, { order, remaining: 400n, receivedAt: TEST_NOW_MS })
  t.deepEqual(changes, [{ type: 'added', entry }])
  t.true(Object.isFrozen(entry))
})

test('add with the same id replaces: removed (replaced) then added, keeping receivedAt', (t) => {
  const { book, changes, clock } = newBook()
  const order = makeOrder({ side: 'sell', price: '1/2', amount: 500n })
  book.add(order, 500n)
  const first = book.get(hex(order.id))
  clock.ms += 5000
  const copy = { ...order } // as decoded again from the wire
  t.true(book.add(copy, 300n))
  const second = book.get(hex(order.id))
  t.deepEqual(second, { order: copy, remaining: 300n, receivedAt: TEST_NOW_MS })
  t.is(book.size, 1)
  t.is(book.asks().length, 1)
  t.deepEqual(changes.slice(1), [
    { type: 'removed', entry: first, reason: 'replaced' },
    { type: 'added', entry: second },
  ])
  t.true(book.add(copy, 300n), 'an identical re-add is accepted')
  t.is(changes.length, 3, '... and is no change')
  t.true(book.add(copy, 300n, TEST_NOW_MS + 1))
  t.is(book.get(hex(order.id))?.receivedAt, TEST_NOW_MS + 1, 'an explicit receivedAt wins')
  t.false(book.add(copy, 501n), 'a replacement is validated like an add')
  t.is(book.get(hex(order.id))?.remaining, 300n)
})

test('add throws INVALID_ARGUMENT for a receivedAt that is not a time', (t) => {
  const { book } = newBook()
  const error = t.throws(() => book.add(makeOrder({ side: 'buy', price: '1/2' }), undefined, Number.NaN))
  t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'))
  t.is(book.size, 0)
})

for (const c of fixtures.setRemaining) {
  test(`setRemaining: ${c.description}`, (t) => {
    const { book, changes } = newBook()
    const order = makeOrder({ side: 'buy', price: '1/2', amount: 100n, minFill: 10n })
    const id = hex(order.id)
    book.add(order, c.start)
    changes.length = 0
    t.is(book.setRemaining(id, c.set), c.accepted)
    t.is(book.get(id)?.remaining ?? null, c.left)
    t.is(book.bids().length, c.left === null ? 0 : 1)
    const expected =
      c.event === 'updated'
        ? [{ type: 'updated', entry: { order, remaining: c.left, receivedAt: TEST_NOW_MS } }]
        : c.event === 'filled'
          ? [
              {
                type: 'removed',
                entry: { order, remaining: c.start, receivedAt: TEST_NOW_MS },
                reason: 'filled',
              },
            ]
          : []
    t.deepEqual(changes, expected)
  })
}

test('setRemaining and remove of an unknown id are refused', (t) => {
  const { book, changes } = newBook()
  t.false(book.setRemaining('00'.repeat(32), 1n))
  t.false(book.remove('00'.repeat(32), 'cancelled'))
  t.deepEqual(changes, [])
})

test('a partial fill keeps the order in its place', (t) => {
  const { book } = newBook()
  const first = makeOrder({ side: 'sell', price: '1/2', createdAt: BASE_MS })
  const second = makeOrder({ side: 'sell', price: '1/2', createdAt: BASE_MS + 1 })
  book.add(second)
  book.add(first)
  book.setRemaining(hex(first.id), 1n)
  t.deepEqual(
    book.asks().map((e) => [hex(e.order.id), e.remaining]),
    [
      [hex(first.id), 1n],
      [hex(second.id), second.amount],
    ],
  )
})

for (const c of fixtures.takeable) {
  test(`minTake/canTake: ${c.amount} of ${c.remaining} left (minFill 10) is ${c.ok ? 'takeable' : 'not takeable'}`, (t) => {
    const entry = {
      order: makeOrder({ side: 'sell', price: '1/1', amount: 100n, minFill: 10n }),
      remaining: c.remaining,
      receivedAt: 0,
    }
    t.is(minTake(entry), c.remaining < 10n ? c.remaining : 10n)
    t.is(canTake(entry, c.amount), c.ok)
  })
}

test('remove reports its reason; ids are matched case-insensitively', (t) => {
  const { book, changes } = newBook()
  const reasons = ['cancelled', 'filled', 'expired', 'maker-gone'] as const
  for (const reason of reasons) {
    const order = makeOrder({ side: 'buy', price: '1/2' })
    book.add(order)
    const entry = book.get(hex(order.id))
    t.true(book.remove(hex(order.id).toUpperCase(), reason))
    t.false(book.has(hex(order.id)))
    t.deepEqual(changes.at(-1), { type: 'removed', entry, reason })
  }
  t.is(book.size, 0)
})

test('expire drops orders at their exact second, earliest first, and nextExpiry tracks the earliest', (t) => {
  const { book, clock, changes } = newBook()
  const s = TEST_NOW_MS / 1000
  const soon = makeOrder({ side: 'sell', price: '1/2', expiry: s + 10 })
  const sameSecond = makeOrder({ side: 'buy', price: '1/3', expiry: s + 10 })
  const later = makeOrder({ side: 'sell', price: '1/2', expiry: s + 20 })
  for (const order of [later, soon, sameSecond]) book.add(order)
  t.is(book.nextExpiry(), s + 10)
  clock.ms = (s + 10) * 1000 - 1
  t.is(book.expire(), 0)
  t.is(book.size, 3)
  clock.ms = (s + 10) * 1000
  changes.length = 0
  t.is(book.expire(), 2)
  t.deepEqual(
    changes.map((c) => (c.type === 'removed' ? c.reason : c.type)),
    ['expired', 'expired'],
  )
  t.deepEqual(new Set(changes.map((c) => hex(c.entry.order.id))), new Set([hex(soon.id), hex(sameSecond.id)]))
  t.true(book.has(hex(later.id)))
  t.is(book.nextExpiry(), s + 20)
  book.remove(hex(later.id), 'cancelled')
  t.is(book.nextExpiry(), null, 'a removed order no longer counts')
  t.is(book.expire(), 0)
})

test('nextExpiry skips removed orders and survives remove/re-add churn', (t) => {
  const { book, clock } = newBook()
  const s = TEST_NOW_MS / 1000
  const orders = Array.from({ length: 3000 }, (_, i) =>
    makeOrder({ side: 'buy', price: '1/2', expiry: s + 1 + i }),
  )
  for (let round = 0; round < 3; round++) {
    for (const order of orders) book.add(order)
    for (const order of orders.slice(0, 2999)) book.remove(hex(order.id), 'cancelled')
  }
  t.is(book.nextExpiry(), s + 3000)
  clock.ms = (s + 3000) * 1000
  t.is(book.expire(), 1)
  t.is(book.size, 0)
  t.is(book.nextExpiry(), null)
})

test('removeMaker drops exactly that maker’s orders as maker-gone', (t) => {
  const { book, changes } = newBook()
  const alice = testMaker(1)
  const bob = testMaker(2)
  const aliceOrders = [
    makeOrder({ side: 'buy', price: '1/2', maker: alice }),
    makeOrder({ side: 'sell', price: '3/2', maker: alice }),
  ]
  const bobOrder = makeOrder({ side: 'buy', price: '1/2', maker: bob })
  for (const order of [...aliceOrders, bobOrder]) book.add(order)
  t.deepEqual(
    book.ordersOf(hex(alice.publicKey)).map((e) => e.order),
    aliceOrders,
  )
  t.is(book.countOf(hex(alice.publicKey)), 2)
  t.is(book.countOf(hex(bob.publicKey)), 1)
  changes.length = 0
  t.is(book.removeMaker(hex(alice.publicKey).toUpperCase()), 2)
  t.deepEqual(
    changes.map((c) => (c.type === 'removed' ? c.reason : c.type)),
    ['maker-gone', 'maker-gone'],
  )
  t.deepEqual(book.ordersOf(hex(alice.publicKey)), [])
  t.is(book.countOf(hex(alice.publicKey)), 0)
  t.deepEqual(
    book.bids().map((e) => e.order),
    [bobOrder],
  )
  t.deepEqual(book.asks(), [])
  t.is(book.removeMaker(hex(alice.publicKey)), 0)
})

test('clear removes everything with the given reason', (t) => {
  const { book, changes } = newBook()
  for (const side of ['buy', 'sell'] as const) book.add(makeOrder({ side, price: '1/2' }))
  changes.length = 0
  book.clear('maker-gone')
  t.is(book.size, 0)
  t.deepEqual(book.depth(), { bids: [], asks: [] })
  t.deepEqual(
    changes.map((c) => (c.type === 'removed' ? c.reason : c.type)),
    ['maker-gone', 'maker-gone'],
  )
})

test('reads are copies: changing a returned array does not change the book', (t) => {
  const { book } = newBook()
  book.add(makeOrder({ side: 'buy', price: '1/2' }))
  book.bids().pop()
  book.depth().bids.pop()
  t.is(book.bids().length, 1)
  t.is(book.depth().bids.length, 1)
})

test('a throwing listener is reported and breaks neither the book nor the other listeners', (t) => {
  const reported: [unknown, BookChange][] = []
  const { book, changes } = newBook({ onListenerError: (error, change) => reported.push([error, change]) })
  const boom = new Error('listener bug')
  book.subscribe(() => {
    throw boom
  })
  const seenAfter: BookChange[] = []
  book.subscribe((change) => seenAfter.push(change))
  const order = makeOrder({ side: 'buy', price: '1/2' })
  t.true(book.add(order))
  t.true(book.setRemaining(hex(order.id), 10n))
  t.is(book.size, 1)
  t.is(changes.length, 2)
  t.deepEqual(seenAfter, changes)
  t.deepEqual(
    reported.map(([error, change]) => [error, change.type]),
    [
      [boom, 'added'],
      [boom, 'updated'],
    ],
  )
})

test('a throwing error reporter is swallowed too', (t) => {
  const { book, changes } = newBook({
    onListenerError: () => {
      throw new Error('reporter bug')
    },
  })
  book.subscribe(() => {
    throw new Error('listener bug')
  })
  t.true(book.add(makeOrder({ side: 'buy', price: '1/2' })))
  t.is(changes.length, 1)
})

test('a listener that changes the book: every listener still sees the changes in order', (t) => {
  const { book, changes } = newBook()
  const order = makeOrder({ side: 'sell', price: '1/2' })
  // Subscribed after `changes`' listener: when it removes the order, the 'removed' must queue behind 'added'.
  const seen: string[] = []
  book.subscribe((change) => {
    seen.push(change.type)
    if (change.type === 'added') book.remove(hex(change.entry.order.id), 'cancelled')
  })
  const late: string[] = []
  book.subscribe((change) => late.push(change.type))
  book.add(order)
  t.deepEqual(
    changes.map((c) => c.type),
    ['added', 'removed'],
  )
  t.deepEqual(seen, ['added', 'removed'])
  t.deepEqual(late, ['added', 'removed'])
  t.is(book.size, 0)
})

test('unsubscribe stops delivery, also when called from inside a delivery', (t) => {
  const { book } = newBook()
  const seen: string[] = []
  const unsubscribe = book.subscribe((change) => {
    seen.push(change.type)
    unsubscribe()
  })
  const other: string[] = []
  const unsubscribeOther = book.subscribe((change) => other.push(change.type))
  const order = makeOrder({ side: 'sell', price: '1/2' })
  book.add(order)
  unsubscribeOther()
  book.remove(hex(order.id), 'cancelled')
  t.deepEqual(seen, ['added'])
  t.deepEqual(other, ['added'])
})

test('waitFor resolves at once when the predicate already holds, and leaves no listener behind', async (t) => {
  const { book } = newBook()
  let calls = 0
  await book.waitFor(() => {
    calls++
    return true
  }, 10)
  book.add(makeOrder({ side: 'buy', price: '1/2' }))
  t.is(calls, 1)
})

test('waitFor resolves after the change that makes the predicate true', async (t) => {
  const { book } = newBook()
  const done = book.waitFor((b) => b.size >= 2, 5000)
  let resolved = false
  void done.then(() => {
    resolved = true
  })
  book.add(makeOrder({ side: 'buy', price: '1/2' }))
  await Promise.resolve()
  t.false(resolved)
  setTimeout(() => book.add(makeOrder({ side: 'sell', price: '1/2' })), 5)
  await done
  t.is(book.size, 2)
})

test('waitFor rejects with TIMEOUT, and with what the predicate throws', async (t) => {
  const { book } = newBook()
  const started = performance.now()
  const timeout = await t.throwsAsync(book.waitFor(() => false, 30))
  t.true(isSwarmswapError(timeout, 'TIMEOUT'))
  t.true(performance.now() - started >= 25)
  const boom = new Error('predicate bug')
  const thrown = book.waitFor((b) => {
    if (b.size > 0) throw boom
    return false
  }, 5000)
  book.add(makeOrder({ side: 'buy', price: '1/2' }))
  t.is(await t.throwsAsync(thrown), boom)
  t.true(isSwarmswapError(await t.throwsAsync(book.waitFor(() => true, -1)), 'INVALID_ARGUMENT'))
})

test('10,000 orders: one-by-one insert, sorted reads and depth are right (timings logged)', (t) => {
  const { book } = newBook()
  const maker = testMaker(7)
  const template = makeOrder({ side: 'sell', price: '1/1', maker })
  // Distinct ids without 10,000 signatures: the book checks none, and the prices vary as in the benchmark.
  const orders: SignedOrder[] = Array.from({ length: 10_000 }, (_, i) => ({
    ...template,
    side: i % 2 === 0 ? 'sell' : 'buy',
    priceNum: 100n + BigInt((i * 7919) % 500),
    priceDen: 1_000_000n,
    amount: 1_000_000n + BigInt(i),
    createdAt: BASE_MS + (i % 100),
    id: Uint8Array.from(Buffer.from(i.toString(16).padStart(64, '0'), 'hex')),
  }))
  const started = performance.now()
  for (const order of orders) t.true(book.add(order))
  const inserted = performance.now()
  const bids = book.bids()
  const asks = book.asks()
  const depth = book.depth(20)
  const fullDepth = book.depth()
  const read = performance.now()
  for (const order of orders.slice(0, 1000)) book.setRemaining(hex(order.id), 1n)
  for (const order of orders.slice(1000, 2000)) book.remove(hex(order.id), 'cancelled')
  const reads: number[] = []
  for (let i = 0; i < 100; i++) {
    book.add(orders[1000 + i] as SignedOrder)
    const before = performance.now()
    book.bids()
    book.depth(20)
    reads.push(performance.now() - before)
  }
  const total = performance.now() - started
  t.log(
    `insert 10,000: ${(inserted - started).toFixed(1)} ms; first bids+asks+depth: ${(read - inserted).toFixed(1)} ms;` +
      ` bids+depth(20) after a change: median ${percentile(reads, 50).toFixed(2)} ms, max ${percentile(reads, 100).toFixed(2)} ms;` +
      ` all: ${total.toFixed(1)} ms`,
  )
  t.is(bids.length + asks.length, 10_000)
  t.is(depth.bids.length, 20)
  t.is(fullDepth.bids.length + fullDepth.asks.length, 500)
  for (let i = 1; i < bids.length; i++) {
    const [a, b] = [bids[i - 1] as BookEntry, bids[i] as BookEntry]
    t.true(a.order.priceNum >= b.order.priceNum, 'bids sorted')
  }
})

test('model check: 3,000 random adds, fills, removals and expiries keep every view equal to a naive one', (t) => {
  const { book, clock, changes } = newBook()
  let seed = 12345
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed % n
  }
  const makers = [testMaker(11), testMaker(12), testMaker(13)]
  const model = new Map<string, BookEntry>()
  for (let step = 0; step < 3000; step++) {
    const ids = [...model.keys()]
    const pick = ids[random(Math.max(ids.length, 1))]
    const op = random(10)
    if (op < 5 || pick === undefined) {
      const den = BigInt(1 + random(3))
      const order = makeOrder({
        side: random(2) === 0 ? 'buy' : 'sell',
        price: `${den * BigInt(1 + random(6))}/${den * 2n}`,
        amount: BigInt(1 + random(50)),
        minFill: 1n,
        expiry: Math.floor(clock.ms / 1000) + 1 + random(600),
        createdAt: BASE_MS + random(5),
        maker: makers[random(3)],
      })
      t.true(book.add(order, order.amount, clock.ms))
      model.set(hex(order.id), { order, remaining: order.amount, receivedAt: clock.ms })
    } else if (op < 7) {
      const entry = model.get(pick) as BookEntry
      const remaining = BigInt(random(Number(entry.remaining) + 1))
      t.true(book.setRemaining(pick, remaining))
      if (remaining === 0n) model.delete(pick)
      else model.set(pick, { ...entry, remaining })
    } else if (op < 8) {
      t.true(book.remove(pick, 'cancelled'))
      model.delete(pick)
    } else if (op < 9) {
      const maker = hex((model.get(pick) as BookEntry).order.maker)
      const gone = [...model].filter(([, e]) => hex(e.order.maker) === maker)
      t.is(book.removeMaker(maker), gone.length)
      for (const [id] of gone) model.delete(id)
    } else {
      clock.ms += random(60_000)
      const expired = [...model].filter(([, e]) => e.order.expiry * 1000 <= clock.ms)
      t.is(book.expire(), expired.length)
      for (const [id] of expired) model.delete(id)
    }
    if (step % 50 !== 0) continue
    const entries = [...model.values()]
    const naive = (side: 'buy' | 'sell') =>
      entries
        .filter((e) => e.order.side === side)
        .sort((a, b) => {
          const [x, y] = side === 'buy' ? [b, a] : [a, b]
          const price = x.order.priceNum * y.order.priceDen - y.order.priceNum * x.order.priceDen
          if (price !== 0n) return price < 0n ? -1 : 1
          return (
            a.order.createdAt - b.order.createdAt ||
            a.receivedAt - b.receivedAt ||
            Buffer.compare(a.order.id, b.order.id)
          )
        })
    const levels = (sorted: BookEntry[]) => {
      const out = new Map<string, [bigint, number]>()
      for (const e of sorted) {
        // Reduce by brute force, independently of the book's gcd.
        let [n, d] = [e.order.priceNum, e.order.priceDen]
        for (let k = 2n; k <= d; k++) while (n % k === 0n && d % k === 0n) [n, d] = [n / k, d / k]
        const [amount, count] = out.get(`${n}/${d}`) ?? [0n, 0]
        out.set(`${n}/${d}`, [amount + e.remaining, count + 1])
      }
      return [...out].map(([price, [amount, count]]) => `${price} ${amount} ${count}`)
    }
    const [bids, asks] = [naive('buy'), naive('sell')]
    t.is(book.size, model.size)
    t.deepEqual(book.bids(), bids)
    t.deepEqual(book.asks(), asks)
    t.deepEqual(book.depth().bids.map(levelText), levels(bids))
    t.deepEqual(book.depth().asks.map(levelText), levels(asks))
    const earliest = Math.min(...entries.map((e) => e.order.expiry))
    t.is(book.nextExpiry(), entries.length === 0 ? null : earliest)
  }
  t.true(changes.length > 3000)
})
