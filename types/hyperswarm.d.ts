// Typed shim for the parts of hyperswarm the project uses (the package ships no types).
declare module 'hyperswarm' {
  import { EventEmitter } from 'node:events'
  import type { Duplex } from 'node:stream'
  import type HyperDHT from 'hyperdht'

  export interface KeyPair {
    publicKey: Uint8Array
    secretKey: Uint8Array
  }

  /** A Noise-encrypted, framed connection (@hyperswarm/secret-stream). */
  export interface SwarmConnection extends Duplex {
    /** The remote identity, authenticated by the Noise handshake. */
    remotePublicKey: Buffer
    publicKey: Buffer
    isInitiator: boolean
    handshakeHash: Buffer
    /** Protomux sets itself here so `Protomux.from(conn)` shares one muxer per connection. */
    userData: unknown
  }

  export interface PeerInfo {
    publicKey: Buffer
    banned: boolean
    topics: Buffer[]
    client: boolean
    ban(value: boolean): void
  }

  export interface PeerDiscoverySession {
    /** Resolves once the topic is announced (server) and the first lookup is done (client). */
    flushed(): Promise<void>
    destroy(): Promise<void>
  }

  export interface HyperswarmOptions {
    keyPair?: KeyPair
    dht?: HyperDHT
    maxPeers?: number
    /** Return true to refuse a connection from (or to) this identity. */
    firewall?: (remotePublicKey: Buffer, payload: unknown) => boolean
  }

  export default class Hyperswarm extends EventEmitter {
    constructor(options?: HyperswarmOptions)
    readonly keyPair: KeyPair
    readonly dht: HyperDHT
    readonly connections: Set<SwarmConnection>
    readonly peers: Map<string, PeerInfo>
    destroyed: boolean
    join(topic: Uint8Array, options?: { server?: boolean; client?: boolean }): PeerDiscoverySession
    /** The topic's discovery (announce + lookup), or null when not joined. */
    status(topic: Uint8Array): { refresh(): Promise<void> } | null
    leave(topic: Uint8Array): Promise<void>
    joinPeer(publicKey: Uint8Array): void
    leavePeer(publicKey: Uint8Array): void
    flush(): Promise<boolean>
    listen(): Promise<void>
    destroy(options?: { force?: boolean }): Promise<void>
    on(event: 'connection', listener: (connection: SwarmConnection, peerInfo: PeerInfo) => void): this
    on(event: 'update', listener: () => void): this
  }
}
