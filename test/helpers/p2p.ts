import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import c from 'compact-encoding'
import crypto from 'hypercore-crypto'
import HyperDHT from 'hyperdht'
import Hyperswarm, { type SwarmConnection } from 'hyperswarm'
import Protomux, { type ProtomuxMessage } from 'protomux'
import { DhtBootstrap } from '../../regtest/dht.js'
import { marketTopic } from '../../src/orderbook/market.js'
import { OrderbookNode } from '../../src/orderbook/node.js'
import type { Market } from '../../src/orderbook/types.js'
import type { PeerLimits } from '../../src/p2p/limits.js'
import type { WireMessage } from '../../src/p2p/messages.js'
import { channelId, HELLO_PROTOCOL } from '../../src/p2p/peer.js'
import {
  decodeMessage,
  encodeHandshake,
  encodeMessage,
  PROTOCOL_NAME,
  PROTOCOL_VERSION,
} from '../../src/p2p/wire.js'

export const REGTEST_BTC_ETH: Market = { network: 'regtest', base: 'BTC', quote: 'ETH' }

/** A local DHT, a temp root for storage dirs, and every node and raw peer made, closed together. */
export class P2pScene {
  readonly dht = new DhtBootstrap()
  readonly nodes: OrderbookNode[] = []
  readonly raws: RawPeer[] = []
  #root: string | null = null

  async ready(): Promise<void> {
    await this.dht.ready()
    this.#root = await mkdtemp(join(tmpdir(), 'swarmswap-p2p-'))
  }

  dir(name: string): string {
    if (this.#root === null) throw new Error('scene not ready')
    return join(this.#root, name)
  }

  /** A ready node on the local DHT, storage under the scene's root (same name = same identity and journal). */
  async node(name: string, limits: Partial<PeerLimits> = {}, network: Market['network'] = 'regtest') {
    const node = new OrderbookNode({
      network,
      bootstrap: this.dht.bootstrap,
      host: '127.0.0.1',
      storageDir: this.dir(name),
      limits,
    })
    this.nodes.push(node)
    await node.ready()
    return node
  }

  async raw(market: Market = REGTEST_BTC_ETH, options: RawPeerOptions = {}): Promise<RawPeer> {
    const raw = new RawPeer(this.dht.bootstrap, market, options)
    this.raws.push(raw)
    await raw.join()
    return raw
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.nodes.map((n) => n.close()), ...this.raws.map((r) => r.close())])
    await this.dht.close()
    if (this.#root !== null) await rm(this.#root, { recursive: true, force: true })
  }
}

interface RawChannel {
  connection: SwarmConnection
  message: ProtomuxMessage<Uint8Array>
  opened: boolean
  /** The connection's hello channel (its one message type), once open. */
  hello?: ProtomuxMessage<Uint8Array>
}

export interface RawPeerOptions {
  /** Default: a new one. */
  keyPair?: { publicKey: Buffer; secretKey: Buffer }
  /** The market channel's open handshake; default the valid one for the market. */
  handshake?: Uint8Array
  /** How many pings on the hello channel it answers (per connection) before falling silent; default all. */
  pongs?: number
}

/**
 * A hostile peer: its own Hyperswarm on the local DHT, joined to the market's topic, speaking the hello and
 * order book channels by hand so it can send any bytes at all.
 */
export class RawPeer {
  readonly keyPair: { publicKey: Buffer; secretKey: Buffer }
  readonly market: Market
  readonly swarm: Hyperswarm
  readonly channels = new Map<string, RawChannel>()
  /** Frames received from each remote (hex key), undecoded. */
  readonly received = new Map<string, Uint8Array[]>()
  /** How many connections closed, per remote key. */
  readonly closes = new Map<string, number>()

  readonly handshake: Uint8Array
  readonly #pongs: number

  constructor(bootstrap: { host: string; port: number }[], market: Market, options: RawPeerOptions = {}) {
    const keyPair = options.keyPair ?? crypto.keyPair()
    this.keyPair = keyPair
    this.market = market
    this.handshake = options.handshake ?? encodeHandshake({ version: PROTOCOL_VERSION, market })
    this.#pongs = options.pongs ?? Number.POSITIVE_INFINITY
    this.swarm = new Hyperswarm({ keyPair, dht: new HyperDHT({ bootstrap, host: '127.0.0.1' }) })
    this.swarm.on('connection', (connection) => this.#onConnection(connection))
  }

  get publicKeyHex(): string {
    return this.keyPair.publicKey.toString('hex')
  }

  async join(): Promise<void> {
    await this.swarm.join(marketTopic(this.market), { server: true, client: true }).flushed()
  }

  /** Dials a node directly (to retry after a ban, without waiting for a rediscovery). */
  dial(publicKey: Uint8Array): void {
    this.swarm.joinPeer(publicKey)
  }

  /** The open channel to this node, if any. */
  channel(publicKeyHex: string): RawChannel | undefined {
    const channel = this.channels.get(publicKeyHex)
    return channel?.opened === true && !channel.connection.destroyed ? channel : undefined
  }

  sendRaw(publicKeyHex: string, bytes: Uint8Array): void {
    const channel = this.channel(publicKeyHex)
    if (channel === undefined) throw new Error(`no open channel to ${publicKeyHex}`)
    channel.message.send(bytes)
  }

  send(publicKeyHex: string, message: WireMessage): void {
    this.sendRaw(publicKeyHex, encodeMessage(message))
  }

  /** Sends raw bytes on the hello channel of the connection to this node; false (nothing sent) until it is open. */
  sendHello(publicKeyHex: string, bytes: Uint8Array): boolean {
    const hello = this.channel(publicKeyHex)?.hello
    if (hello === undefined) return false
    // send()'s own result is the stream's backpressure (false for a large frame), not whether it went out.
    hello.send(bytes)
    return true
  }

  async close(): Promise<void> {
    for (const connection of this.swarm.connections) connection.destroy()
    await this.swarm.destroy()
  }

  /** Opens the hello channel and answers its pings with pongs, up to the configured number. */
  #answerHellos(mux: Protomux, entry: RawChannel): void {
    let answered = 0
    const hello = mux.createChannel({
      protocol: HELLO_PROTOCOL,
      onopen: () => {
        entry.hello = message
      },
    })
    if (hello === null) return
    const message = hello.addMessage({
      encoding: c.raw,
      onmessage: (bytes) => {
        const ping = decodeMessage(bytes)
        if (ping.type !== 'ping' || answered >= this.#pongs) return
        answered++
        message.send(encodeMessage({ type: 'pong', nonce: ping.nonce }))
      },
    })
    hello.open()
  }

  #onConnection(connection: SwarmConnection): void {
    connection.on('error', () => {})
    const remote = connection.remotePublicKey.toString('hex')
    const mux = Protomux.from(connection)
    const channel = mux.createChannel<Uint8Array>({
      protocol: PROTOCOL_NAME,
      id: channelId(this.market),
      handshake: c.raw,
      onopen: () => {
        entry.opened = true
      },
    })
    if (channel === null) return
    const message = channel.addMessage({
      encoding: c.raw,
      onmessage: (bytes) => {
        const frames = this.received.get(remote) ?? []
        this.received.set(remote, frames)
        frames.push(bytes)
      },
    })
    const entry: RawChannel = { connection, message, opened: false }
    this.channels.set(remote, entry)
    this.#answerHellos(mux, entry)
    connection.once('close', () => this.closes.set(remote, (this.closes.get(remote) ?? 0) + 1))
    channel.open(this.handshake)
  }
}

/** Polls `condition` every 10 ms; rejects after `timeoutMs` naming what it waited for. */
export async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

export const hexOf = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
