// Typed shim for the parts of protomux the project uses (the package ships no types).
declare module 'protomux' {
  import type { Duplex } from 'node:stream'
  import type { Encoding } from 'compact-encoding'

  export interface ProtomuxMessage<T> {
    /** False when the channel is already closed (nothing was sent). */
    send(message: T): boolean
  }

  export interface ChannelOptions<H> {
    protocol: string
    id?: Uint8Array | null
    handshake?: Encoding<H>
    /** Called when the remote side opens the same (protocol, id); errors destroy the stream. */
    onopen?: (handshake: H) => void | Promise<void>
    /** Called when either side closes the channel or the stream ends. */
    onclose?: () => void | Promise<void>
  }

  export interface Channel<H> {
    readonly opened: boolean
    readonly closed: boolean
    addMessage<T>(options: {
      encoding: Encoding<T>
      onmessage?: (message: T) => void | Promise<void>
    }): ProtomuxMessage<T>
    open(handshake?: H): void
    close(): void
    cork(): void
    uncork(): void
  }

  export default class Protomux {
    /** The connection's shared muxer (kept in `stream.userData`), created on first use. */
    static from(stream: Duplex): Protomux
    /** Null if a channel with this protocol and id is already open (or closed by the remote). */
    createChannel<H>(options: ChannelOptions<H>): Channel<H> | null
    /** Calls `notify` when the remote offers this channel and no local one waits for it. */
    pair(channel: { protocol: string; id?: Uint8Array | null }, notify: () => void): void
    unpair(channel: { protocol: string; id?: Uint8Array | null }): void
    destroy(error?: Error): void
  }
}
