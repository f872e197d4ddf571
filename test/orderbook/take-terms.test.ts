import { readFileSync } from 'node:fs'
import test from 'ava'
import { termsMismatch } from '../../src/orderbook/take-terms.js'
import type { Side } from '../../src/orderbook/types.js'
import type { TakeTerms } from '../../src/p2p/messages.js'
import { makeOrder } from '../helpers/orders.js'

interface Change {
  quoteAmount: string
  baseAmount?: string
  orderId?: string
  takerBtcPubkey?: string
  takerEvmAddress?: string
  makerDeadline?: number
}
interface Case {
  description: string
  side: Side
  change: Change
  mismatch?: string
}

const fixtures = JSON.parse(
  readFileSync(new URL('../fixtures/orderbook/take-terms.json', import.meta.url), 'utf8'),
) as {
  amount: string
  price: string
  taker: { btcPubkey: string; evmAddress: string }
  deadlines: { makerDeadline: number; takerDeadline: number }
  valid: Case[]
  invalid: Case[]
}

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'))
const takerKeys = { btcPubkey: bytes(fixtures.taker.btcPubkey), evmAddress: fixtures.taker.evmAddress }

function run(c: Case) {
  const order = makeOrder({ side: c.side, price: fixtures.price, nonceSeed: `take-terms-${c.side}` })
  const request = { orderId: order.id, amount: BigInt(fixtures.amount), taker: takerKeys }
  const terms: TakeTerms = {
    orderId: c.change.orderId === undefined ? order.id : bytes(c.change.orderId),
    baseAmount: BigInt(c.change.baseAmount ?? fixtures.amount),
    quoteAmount: BigInt(c.change.quoteAmount),
    hashlock: new Uint8Array(32).fill(1),
    makerDeadline: c.change.makerDeadline ?? fixtures.deadlines.makerDeadline,
    takerDeadline: fixtures.deadlines.takerDeadline,
    maker: { btcPubkey: bytes(`02${'07'.repeat(32)}`), evmAddress: `0x${'11'.repeat(20)}` },
    taker: {
      btcPubkey: c.change.takerBtcPubkey === undefined ? takerKeys.btcPubkey : bytes(c.change.takerBtcPubkey),
      evmAddress: c.change.takerEvmAddress ?? takerKeys.evmAddress,
    },
    btcConfirmations: 1,
    evmConfirmations: 1,
  }
  return termsMismatch(order, request, terms)
}

for (const c of fixtures.valid) {
  test(`terms agree: ${c.description}`, (t) => {
    t.is(run(c), null)
  })
}

for (const c of fixtures.invalid) {
  test(`terms contradict: ${c.description}`, (t) => {
    t.is<string | null, string | null>(run(c), c.mismatch ?? null)
  })
}
