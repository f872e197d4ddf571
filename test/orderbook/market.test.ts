import { readFileSync } from 'node:fs'
import test from 'ava'
import { isSwarmswapError } from '../../src/errors.js'
import {
  assetSchema,
  marketId,
  marketSchema,
  marketTopic,
  parseMarketId,
} from '../../src/orderbook/market.js'
import type { Market } from '../../src/orderbook/types.js'

const fixtures = JSON.parse(
  readFileSync(new URL('../fixtures/protocol/markets.json', import.meta.url), 'utf8'),
)
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

for (const { id, market } of fixtures.valid as Array<{ id: string; market: Market }>) {
  test(`market id ${id}`, (t) => {
    t.is(marketId(market), id)
    t.deepEqual(parseMarketId(id), market)
    t.true(marketSchema.safeParse(market).success)
  })
}

for (const id of fixtures.invalid as string[]) {
  test(`not a market id: ${JSON.stringify(id)}`, (t) => {
    const error = t.throws(() => parseMarketId(id))
    t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'))
  })
}

test('asset ids: one spelling per asset', (t) => {
  for (const asset of fixtures.assets.valid as string[]) t.true(assetSchema.safeParse(asset).success, asset)
  for (const asset of fixtures.assets.invalid as string[])
    t.false(assetSchema.safeParse(asset).success, asset)
})

test('topics are 32 bytes and distinct for every network, asset pair, direction and version', (t) => {
  const token = 'ERC20:0x5fbdb2315678afecb367f032d93f642f64180aa3'
  const markets: Market[] = []
  for (const network of ['regtest', 'testnet', 'mainnet'] as const) {
    for (const [base, quote] of [
      ['BTC', 'ETH'],
      ['ETH', 'BTC'],
      ['BTC', token],
      [token, 'ETH'],
    ]) {
      markets.push({ network, base: base as string, quote: quote as string })
    }
  }
  const topics = new Set<string>()
  for (const market of markets) {
    for (const version of [1, 2]) {
      const topic = marketTopic(market, version)
      t.is(topic.byteLength, 32)
      topics.add(hex(topic))
    }
  }
  t.is(topics.size, markets.length * 2)
})

test('the topic is a pure function of the market (version 1 by default)', (t) => {
  const market: Market = { network: 'regtest', base: 'BTC', quote: 'ETH' }
  t.is(hex(marketTopic({ ...market })), hex(marketTopic(market, 1)))
})

test('marketTopic rejects an invalid market', (t) => {
  const error = t.throws(() => marketTopic({ network: 'regtest', base: 'BTC', quote: 'BTC' }))
  t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'))
})
