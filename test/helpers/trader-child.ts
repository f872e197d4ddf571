/**
 * A trader in its own process, for the crash tests: a TradingNode built from the options in argv[2] (JSON, see
 * ChildConfig) that joins markets, places and takes orders as told on stdin, reports on stdout, and SIGKILLs
 * itself from the engine's onPersisted hook when a swap reaches the configured crash point, so the kill lands
 * exactly between a durable write and what follows it.
 * Usage: node --import tsx test/helpers/trader-child.ts '<ChildConfig JSON>'
 */
import { createInterface } from 'node:readline'
import { TradingNode } from '../../src/daemon/trading-node.js'
import { isSwarmswapError } from '../../src/errors.js'
import type { SwapRecord } from '../../src/swap/types.js'
import {
  type ChildCommand,
  type ChildConfig,
  type ChildReport,
  childCommandSchema,
  crashPointSchema,
} from './trader-child-protocol.js'

/** How long a take waits for the order to reach this child's book. */
const ORDER_WAIT_MS = 30_000

// stdout is a pipe: on Linux its writes are synchronous, so a report is out before a SIGKILL that follows it.
const report = (message: ChildReport) => process.stdout.write(`${JSON.stringify(message)}\n`)

const config = JSON.parse(process.argv[2] ?? '') as ChildConfig
const crash = config.crash === undefined ? undefined : crashPointSchema.parse(config.crash)

const node = new TradingNode({
  ...config.options,
  onPersisted: (record, point) => {
    if (crash?.role !== record.role || crash.status !== record.status || crash.point !== point) return
    report({ event: 'crash', id: record.id, status: record.status, point })
    process.kill(process.pid, 'SIGKILL')
  },
})
node.engine.on('update', (record: SwapRecord) =>
  report({ event: 'update', id: record.id, status: record.status }),
)
// A tick that failed is retried by the engine; without a listener the emit would throw.
node.engine.on('error', (error, id) => process.stderr.write(`engine error (${id}): ${error.message}\n`))
await node.ready()
report({ event: 'ready', btcAddress: node.wallet.receiveAddress(), evmAddress: node.evmWallet.address })

async function run(command: ChildCommand): Promise<string | undefined> {
  if (command.op === 'join') {
    await node.orderbook.join(command.market)
    return undefined
  }
  if (command.op === 'place') {
    const order = await node.orderbook.place({
      market: command.market,
      side: command.side,
      amount: BigInt(command.amount),
      minFill: BigInt(command.minFill),
      priceNum: BigInt(command.priceNum),
      priceDen: BigInt(command.priceDen),
      expiry: command.expiry,
    })
    return Buffer.from(order.id).toString('hex')
  }
  await waitForOrder(command.orderId)
  const swap = await node.trader.take({ orderId: command.orderId, amount: BigInt(command.amount) })
  return swap.id
}

async function waitForOrder(orderId: string): Promise<void> {
  const deadline = Date.now() + ORDER_WAIT_MS
  while (node.orderbook.findOrder(orderId) === undefined) {
    if (Date.now() > deadline) throw new Error(`order ${orderId} never reached the book`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  const command = childCommandSchema.parse(JSON.parse(line))
  run(command).then(
    (result) => report({ event: 'reply', op: command.op, ...(result === undefined ? {} : { result }) }),
    (error: unknown) =>
      report({
        event: 'failed',
        op: command.op,
        ...(isSwarmswapError(error) ? { code: error.code } : {}),
        message: error instanceof Error ? error.message : String(error),
      }),
  )
}
// stdin closed: the test is done with this trader.
await node.close()
