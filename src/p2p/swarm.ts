import HyperDHT from 'hyperdht'
import Hyperswarm, { type SwarmConnection } from 'hyperswarm'
import { SwarmswapError } from '../errors.js'
import type { NetworkName } from '../orderbook/types.js'
import type { Identity } from './identity.js'

export interface DhtPeerAddress {
  host: string
  port: number
}

export interface SwarmOptions {
  identity: Identity
  network: NetworkName
  /**
   * DHT bootstrap nodes. Required on regtest (a local DhtBootstrap), so a regtest node can never reach the
   * public DHT by accident; omitted on testnet/mainnet = Hyperswarm's public bootstrap nodes.
   */
  bootstrap?: DhtPeerAddress[]
  /** Bind the DHT's UDP socket to this address; '127.0.0.1' keeps every packet on loopback. */
  host?: string
  /** Consulted for every incoming and outgoing connection; true refuses it. */
  isBanned: (publicKeyHex: string) => boolean
  onConnection: (connection: SwarmConnection) => void
}

/**
 * Hyperswarm over a DHT this node configures itself: bound to `host`, bootstrapped from the given list,
 * with the node's identity as its Noise key pair and the ban list as its firewall. Topics are joined as
 * both server (announce) and client (lookup).
 */
/** After a join, when to announce and look up again (see #scheduleRediscovery). */
const REDISCOVERY_DELAYS_MS = [500, 2_000, 5_000, 15_000]
/** After a connection died: look up again after min + random * spread ms (see rediscover). */
const LOST_CONTACT_REDISCOVERY_MS = { min: 250, spread: 1_500 }

export class Swarm {
  readonly #swarm: Hyperswarm
  readonly #dht: HyperDHT
  readonly #isBanned: (publicKeyHex: string) => boolean
  readonly #joins = new Map<string, Promise<void>>()
  /** Follow-up discovery timers per joined topic (hex). */
  readonly #rediscovery = new Map<string, NodeJS.Timeout[]>()
  #lostContactTimer: NodeJS.Timeout | null = null
  #closing: Promise<void> | null = null

  constructor(options: SwarmOptions) {
    if (options.network === 'regtest' && options.bootstrap === undefined) {
      throw new SwarmswapError('INVALID_ARGUMENT', 'regtest needs a local DHT bootstrap list')
    }
    this.#isBanned = options.isBanned
    const dht = new HyperDHT({
      ...(options.bootstrap === undefined ? {} : { bootstrap: options.bootstrap }),
      ...(options.host === undefined ? {} : { host: options.host }),
    })
    this.#dht = dht
    this.#swarm = new Hyperswarm({
      keyPair: { publicKey: options.identity.publicKey, secretKey: options.identity.secretKey },
      dht,
      firewall: (remotePublicKey) => this.#isBanned(remotePublicKey.toString('hex')),
    })
    this.#swarm.on('connection', (connection) => {
      // A stream error (reset, timeout) is also a close; the close handler is what the node acts on.
      connection.on('error', () => {})
      options.onConnection(connection)
    })
  }

  /**
   * Resolves once the DHT's routing table is filled. An announce or lookup before that walks an empty table
   * and finds nobody, and Hyperswarm would only look again at its 10-minute refresh.
   */
  async ready(): Promise<void> {
    await this.#dht.fullyBootstrapped()
  }

  get publicKey(): Uint8Array {
    return this.#swarm.keyPair.publicKey
  }

  get connections(): ReadonlySet<SwarmConnection> {
    return this.#swarm.connections
  }

  /**
   * Announces on the topic, then looks it up; resolves when both are done once (connections follow).
   * Announce strictly before lookup: when peers join at the same moment, each pair's later lookup is then
   * sure to see the other's finished announce. Doing both at once lets every lookup run before every
   * announce lands, and nobody finds anybody until Hyperswarm's 10-minute refresh.
   */
  async join(topic: Uint8Array): Promise<void> {
    this.#assertOpen()
    const key = Buffer.from(topic).toString('hex')
    let joined = this.#joins.get(key)
    if (joined === undefined) {
      joined = (async () => {
        await this.#swarm.join(topic, { server: true, client: false }).flushed()
        await this.#swarm.join(topic, { server: false, client: true }).flushed()
        this.#scheduleRediscovery(key, topic)
      })()
      this.#joins.set(key, joined)
    }
    await joined
  }

  async leave(topic: Uint8Array): Promise<void> {
    const key = Buffer.from(topic).toString('hex')
    this.#cancelRediscovery(key)
    if (!this.#joins.delete(key)) return
    await this.#swarm.leave(topic)
  }

  /**
   * Hyperswarm marks a firewalled identity banned for the swarm's lifetime; once our ban has run out, this
   * lifts that mark so the peer may connect again (and be dialled when rediscovered).
   */
  forgive(publicKeyHex: string): void {
    this.#swarm.peers.get(publicKeyHex)?.ban(false)
  }

  /**
   * Announces and looks up again a few times soon after a join. Peers whose announce had not reached the
   * DHT nodes when the other looked up (a busy machine, many joining at once) otherwise stay apart until
   * Hyperswarm's own refresh, minutes later.
   */
  #scheduleRediscovery(key: string, topic: Uint8Array): void {
    const timers = REDISCOVERY_DELAYS_MS.map((delay) => {
      const timer = setTimeout(() => this.#refresh(topic), delay)
      timer.unref()
      return timer
    })
    this.#rediscovery.set(key, timers)
  }

  /**
   * Looks up every joined topic again soon, after a random delay (so two peers that both lost a connection
   * do not dial each other at the same instant again). Called when a connection died without closing:
   * Hyperswarm itself only redials peers it had dialled, and only finds the others at its next refresh.
   */
  rediscover(): void {
    if (this.#closing !== null || this.#lostContactTimer !== null) return
    const delay = LOST_CONTACT_REDISCOVERY_MS.min + Math.random() * LOST_CONTACT_REDISCOVERY_MS.spread
    this.#lostContactTimer = setTimeout(() => {
      this.#lostContactTimer = null
      for (const key of this.#joins.keys()) this.#refresh(Buffer.from(key, 'hex'))
    }, delay)
    this.#lostContactTimer.unref()
  }

  /** Announces and looks up the topic again (a failed round is retried at the next one). */
  #refresh(topic: Uint8Array): void {
    if (this.#closing !== null) return
    this.#swarm
      .status(topic)
      ?.refresh()
      .catch(() => {})
  }

  #cancelRediscovery(key: string): void {
    for (const timer of this.#rediscovery.get(key) ?? []) clearTimeout(timer)
    this.#rediscovery.delete(key)
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const key of this.#rediscovery.keys()) this.#cancelRediscovery(key)
      if (this.#lostContactTimer !== null) clearTimeout(this.#lostContactTimer)
      this.#joins.clear()
      for (const connection of this.#swarm.connections) connection.destroy()
      await this.#swarm.destroy()
    })()
    return this.#closing
  }

  #assertOpen(): void {
    if (this.#closing !== null) throw new SwarmswapError('CLOSED', 'the swarm is closed')
  }
}
