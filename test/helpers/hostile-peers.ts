import { randomBytes } from 'node:crypto'
import { Wallet } from 'ethers'
import { ECPair } from '../../src/chains/bitcoin/ecc.js'
import type { Market, SignedOrder } from '../../src/orderbook/types.js'
import type { PartyKeys, TakeTerms, WireMessage } from '../../src/p2p/messages.js'
import { decodeMessage } from '../../src/p2p/wire.js'
import type { TakeBinding, TakeRequest, TakeResponse } from '../../src/p2p/wire-take.js'
import { offerDeadlines, type TimelockPolicy } from '../../src/swap/policy.js'
import { honestTermsFor } from './orders.js'
import { hexOf, RawPeer, type RawPeerOptions, waitUntil } from './p2p.js'
import type { SwapScene } from './traders.js'

/**
 * Protocol-level hostile peers against real trading nodes: RawPeers (test/helpers/p2p.ts) on a SwapScene's
 * DHT that play maker or taker by hand with the real wire encoders and signatures, and send anything at all
 * on the market and hello channels.
 */

const CONNECT_MS = 30_000

/** Every RawPeer made on a scene's DHT, closed together. */
export class HostilePeers {
  readonly #bootstrap: { host: string; port: number }[]
  readonly #market: Market
  readonly #peers: RawPeer[] = []

  constructor(scene: SwapScene, market: Market) {
    this.#bootstrap = scene.env.endpoints.dht.bootstrap.map((hostPort) => {
      const [host = '', port = ''] = hostPort.split(':')
      return { host, port: Number(port) }
    })
    this.#market = market
  }

  /** A raw peer joined to the market whose channel to the node `nodeKey` (hex) is open. */
  async connect(nodeKey: string, options: RawPeerOptions = {}): Promise<RawPeer> {
    const raw = new RawPeer(this.#bootstrap, this.#market, options)
    this.#peers.push(raw)
    await raw.join()
    await waitUntil(() => raw.channel(nodeKey) !== undefined, CONNECT_MS, 'the raw channel to open')
    return raw
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.#peers.map((raw) => raw.close()))
  }
}

/** Valid party keys nobody will ever use: a fresh compressed key and EVM address. */
export function strangerKeys(): PartyKeys {
  return {
    btcPubkey: Uint8Array.from(ECPair.makeRandom().publicKey),
    evmAddress: Wallet.createRandom().address.toLowerCase(),
  }
}

export const randomRequestId = (): Uint8Array => Uint8Array.from(randomBytes(16))

/** What take signatures on the raw peer's connection to `node` are bound to, with the raw peer as `rawRole`. */
export function rawBinding(raw: RawPeer, node: Uint8Array, rawRole: 'maker' | 'taker'): TakeBinding {
  const channel = raw.channel(hexOf(node))
  if (channel === undefined) throw new Error('no open channel to the node')
  const handshakeHash = new Uint8Array(channel.connection.handshakeHash)
  return rawRole === 'maker'
    ? { handshakeHash, maker: raw.keyPair.publicKey, taker: node }
    : { handshakeHash, maker: node, taker: raw.keyPair.publicKey }
}

/** Every frame the node sent the raw peer (on the market channel), decoded. */
function framesFrom(raw: RawPeer, nodeKey: string): WireMessage[] {
  return (raw.received.get(nodeKey) ?? []).map((bytes) => decodeMessage(bytes))
}

/** The `index`-th response (0 = the first) the node sent to the request `requestId`. */
export async function responseTo(
  raw: RawPeer,
  nodeKey: string,
  requestId: Uint8Array,
  index = 0,
): Promise<TakeResponse> {
  const responses = () =>
    framesFrom(raw, nodeKey).filter(
      (m): m is TakeResponse => m.type === 'take-response' && hexOf(m.requestId) === hexOf(requestId),
    )
  await waitUntil(() => responses().length > index, CONNECT_MS, 'the take response')
  return responses()[index] as TakeResponse
}

/** The take requests the node sent the raw peer so far, oldest first. */
function takeRequestsFrom(raw: RawPeer, nodeKey: string): TakeRequest[] {
  return framesFrom(raw, nodeKey).filter((m): m is TakeRequest => m.type === 'take-request')
}

/** The `index`-th take request (0 = the first) the node sent the raw peer. */
export async function takeRequestFrom(raw: RawPeer, nodeKey: string, index: number): Promise<TakeRequest> {
  await waitUntil(() => takeRequestsFrom(raw, nodeKey).length > index, CONNECT_MS, 'the take request')
  return takeRequestsFrom(raw, nodeKey)[index] as TakeRequest
}

/**
 * The terms an honest maker with keys `maker` would offer for the request at chain time `now`: a fresh
 * hashlock, deadlines of `policy`, one confirmation each.
 */
export function honestTerms(
  order: SignedOrder,
  request: TakeRequest,
  maker: PartyKeys,
  policy: TimelockPolicy,
  now: number,
): TakeTerms {
  return honestTermsFor({ order, request }, maker, offerDeadlines(policy, now))
}

/** Sends raw bytes on the hello channel of the raw peer's connection to the node, once that channel is open. */
export async function sendOnHello(raw: RawPeer, nodeKey: string, bytes: Uint8Array): Promise<void> {
  await waitUntil(() => raw.sendHello(nodeKey, bytes), CONNECT_MS, 'the hello channel to open')
}
