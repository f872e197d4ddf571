/**
 * The SDK against a running swarmswapd: show a market's book, take its best ask, follow the swap to its end.
 *
 *   node --import tsx examples/sdk-take.ts --datadir ~/.local/share/swarmswap/regtest [BASE QUOTE]
 *
 * BASE and QUOTE default to BTC and ETH. Waits up to a minute for an ask to show up in the book. Exits 0 once
 * the swap completed; the last line printed is a JSON summary.
 */
import { parseArgs } from 'node:util'
import { type OrderView, type SwapView, SwarmswapClient } from 'swarmswap/sdk'

const { values, positionals } = parseArgs({
  options: { datadir: { type: 'string' } },
  allowPositionals: true,
})
if (values.datadir === undefined)
  throw new Error('usage: sdk-take.ts --datadir <daemon data dir> [BASE QUOTE]')
const [base = 'BTC', quote = 'ETH'] = positionals

const client = new SwarmswapClient({ datadir: values.datadir })
try {
  const info = await client.info()
  console.log(`connected to swarmswapd ${info.version} on ${info.network}, identity ${info.identity}`)
  await client.joinMarket(base, quote)

  const ask = await bestAsk(60_000)
  console.log(
    `best ask: ${ask.remaining.formatted} ${base} at ${ask.price} ${quote}/${base} (order ${ask.orderId})`,
  )

  const swap = await client.take(ask.orderId)
  console.log(
    `swap ${swap.id}: I send ${swap.takerLeg.amount.formatted} ${quote}, receive ${swap.makerLeg.amount.formatted} ${base}`,
  )
  for (const deadline of swap.timeline) console.log(`  deadline: ${deadline.text}`)

  let shown = 0
  const final = await client.waitForSwap(swap.id, (current: SwapView) => {
    for (const step of current.history.slice(shown)) {
      console.log(
        `  ${current.status.padEnd(14)} ${step.note}${step.txid === undefined ? '' : ` (${step.txid})`}`,
      )
    }
    shown = Math.max(shown, current.history.length)
    return current.final
  })
  console.log(JSON.stringify({ swapId: final.id, status: final.status, steps: final.history.length }))
  process.exitCode = final.status === 'completed' ? 0 : 1
} finally {
  await client.close()
}

/** The lowest-priced ask of the book, waiting for one to be announced if the book is empty. */
async function bestAsk(timeoutMs: number): Promise<OrderView> {
  const events = await client.events()
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const book = await client.orderbook(base, quote, 10)
    console.log(`book ${book.market.id}: ${book.asks.length} asks, ${book.bids.length} bids`)
    const asks = book.asks.filter((order) => !order.own)
    if (asks[0] !== undefined) return asks[0]
    // Wait for the next change of the book (or a second), then look again.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, 1000)
      function done() {
        clearTimeout(timer)
        events.off('orderbook.changed', done)
        resolve()
      }
      events.on('orderbook.changed', done)
    })
  }
  throw new Error(`no ask in ${base}/${quote} after ${timeoutMs} ms`)
}
