import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { DhtBootstrap } from '../regtest/dht.js'
import { OrderbookNode } from '../src/orderbook/node.js'
import { orderIdHex } from '../src/orderbook/order.js'
import type { Market } from '../src/orderbook/types.js'
import type { BenchReport } from './htlc.js'
import { ms, percentile } from './stats.js'

const PEERS = 20
const PROPAGATION_ORDERS = 100
const PING_SAMPLES = 100
const SYNC_ORDERS = 10_000
const MESH_MARKET: Market = { network: 'regtest', base: 'BTC', quote: 'ETH' }
/** A market only the sync phase's maker and newcomer join, so the mesh's traffic does not mix in. */
const SYNC_MARKET: Market = { network: 'regtest', base: 'BTC', quote: `ERC20:0x${'5'.repeat(40)}` }

const GOALS = { propagationP50Ms: 100, propagationP99Ms: 500, syncMs: 2000 }

/**
 * Order propagation over a 20-peer Hyperswarm mesh on loopback, against the floor of a raw one-message
 * round trip between two of the same peers, and the time a newly joined peer takes to hold a 10,000-order
 * book. Everything runs in this process on a local DHT bound to 127.0.0.1.
 */
export async function orderbookBenchmark(): Promise<BenchReport> {
  const dht = new DhtBootstrap()
  await dht.ready()
  const root = await mkdtemp(join(tmpdir(), 'swarmswap-bench-orderbook-'))
  const nodes: OrderbookNode[] = []
  const newNode = async (name: string) => {
    const node = new OrderbookNode({
      network: 'regtest',
      bootstrap: dht.bootstrap,
      host: '127.0.0.1',
      storageDir: join(root, name),
      // A 10,000-order maker is beyond the default per-peer cap; the benchmark measures the protocol, not the cap.
      limits: {
        maxOrdersPerPeer: SYNC_ORDERS * 2,
        messagesPerSecond: 10_000,
        bytesPerSecond: 64 * 1024 * 1024,
      },
    })
    nodes.push(node)
    await node.ready()
    return node
  }
  try {
    const mesh = await Promise.all(Array.from({ length: PEERS }, (_, i) => newNode(`peer-${i}`)))
    await Promise.all(mesh.map((node) => node.join(MESH_MARKET)))
    await waitUntil(() => mesh.every((node) => node.peers().length >= PEERS - 1), 60_000, 'the mesh to form')

    const [first, second] = mesh as [OrderbookNode, OrderbookNode]
    const secondKey = Buffer.from(second.publicKey).toString('hex')
    const pings: number[] = []
    for (let i = 0; i < PING_SAMPLES; i++) pings.push(await first.ping(secondKey, MESH_MARKET))

    // Arrival time of each order at each peer other than its maker, taken in the book's change event.
    const arrivals = new Map<string, number[]>()
    const complete = new Map<string, () => void>()
    for (const node of mesh) {
      const self = Buffer.from(node.publicKey).toString('hex')
      node.book(MESH_MARKET).subscribe((change) => {
        if (change.type !== 'added' || Buffer.from(change.entry.order.maker).toString('hex') === self) return
        const id = orderIdHex(change.entry.order)
        const times = arrivals.get(id) ?? []
        arrivals.set(id, times)
        times.push(performance.now())
        if (times.length === PEERS - 1) complete.get(id)?.()
      })
    }
    const propagation: number[] = []
    const expiry = Math.floor(Date.now() / 1000) + 3600
    for (let i = 0; i < PROPAGATION_ORDERS; i++) {
      const maker = mesh[i % PEERS] as OrderbookNode
      const started = performance.now()
      const order = await maker.place({
        market: MESH_MARKET,
        side: i % 2 === 0 ? 'sell' : 'buy',
        amount: 100_000n + BigInt(i),
        minFill: 10_000n,
        priceNum: 15n + BigInt(i % 7),
        priceDen: 1_000_000n,
        expiry,
      })
      const id = orderIdHex(order)
      await withTimeout(
        new Promise<void>((resolve) => {
          complete.set(id, resolve)
          if ((arrivals.get(id)?.length ?? 0) === PEERS - 1) resolve()
        }),
        10_000,
        `order ${i} to reach every peer`,
      )
      propagation.push(Math.max(...(arrivals.get(id) ?? [])) - started)
    }

    const maker = await newNode('sync-maker')
    await maker.join(SYNC_MARKET)
    for (let i = 0; i < SYNC_ORDERS; i++) {
      await maker.place({
        market: SYNC_MARKET,
        side: i % 2 === 0 ? 'sell' : 'buy',
        amount: 1_000_000n + BigInt(i),
        minFill: 1_000n,
        priceNum: 100n + BigInt(i % 500),
        priceDen: 1_000_000n,
        expiry,
      })
    }
    const newcomer = await newNode('sync-newcomer')
    const syncStarted = performance.now()
    await newcomer.join(SYNC_MARKET)
    await newcomer.book(SYNC_MARKET).waitFor((book) => book.size >= SYNC_ORDERS, 60_000)
    const syncMs = performance.now() - syncStarted

    const figures = {
      peers: PEERS,
      propagationOrders: PROPAGATION_ORDERS,
      propagationP50Ms: ms(percentile(propagation, 50)),
      propagationP99Ms: ms(percentile(propagation, 99)),
      floorP50Ms: ms(percentile(pings, 50)),
      syncOrders: SYNC_ORDERS,
      syncMs: ms(syncMs),
    }
    const withinGoals =
      figures.propagationP50Ms <= GOALS.propagationP50Ms &&
      figures.propagationP99Ms <= GOALS.propagationP99Ms &&
      figures.syncMs <= GOALS.syncMs
    const table = [
      `peers ${PEERS}, ${PROPAGATION_ORDERS} orders placed round-robin; floor = one ping/pong between two peers`,
      `propagation p50     ${figures.propagationP50Ms} ms   (goal <= ${GOALS.propagationP50Ms})`,
      `propagation p99     ${figures.propagationP99Ms} ms   (goal <= ${GOALS.propagationP99Ms})`,
      `floor p50           ${figures.floorP50Ms} ms`,
      `sync ${SYNC_ORDERS} orders   ${figures.syncMs} ms   (goal <= ${GOALS.syncMs}; from join() to all held)`,
    ].join('\n')
    return { figures, goals: GOALS, withinGoals, table }
  } finally {
    await Promise.allSettled(nodes.map((node) => node.close()))
    await dht.close()
    await rm(root, { recursive: true, force: true })
  }
}

async function withTimeout(promise: Promise<void>, timeoutMs: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs)
  })
  try {
    await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
