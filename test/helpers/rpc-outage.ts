import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net'
import { freePort } from '../../regtest/ports.js'

/**
 * A TCP proxy on 127.0.0.1 in front of a node's JSON-RPC port, which a test takes down and brings back, so
 * one trader loses its Bitcoin or EVM node for a while as the rest of the world goes on. While it is down,
 * every connection is reset: open ones at once, new ones as they arrive (the client sees ECONNRESET, as
 * with a node that is restarting or a link that drops).
 */
export class RpcProxy {
  readonly #server: Server
  readonly #target: URL
  readonly #port: number
  /** Client sockets and their upstream sockets, to reset on a cut. */
  readonly #links = new Map<Socket, Socket>()
  #down = false
  /** The method whose next request goes through but whose reply is lost, taking the proxy down. */
  #cutAfter: { method: string; cut: () => void } | null = null

  private constructor(server: Server, target: URL, port: number) {
    this.#server = server
    this.#target = target
    this.#port = port
  }

  /** A proxy on a free loopback port forwarding to `targetUrl` (http://127.0.0.1:port...). */
  static async start(targetUrl: string): Promise<RpcProxy> {
    const target = new URL(targetUrl)
    const port = await freePort()
    const server = createServer()
    const proxy = new RpcProxy(server, target, port)
    server.on('connection', (client) => proxy.#accept(client))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => resolve())
    })
    return proxy
  }

  /** The target's URL with the proxy's host and port: what the trader is given as its rpcUrl. */
  get url(): string {
    const url = new URL(this.#target)
    url.host = `127.0.0.1:${this.#port}`
    return url.toString().replace(/\/$/, '')
  }

  get down(): boolean {
    return this.#down
  }

  /** Unreachable from now on: open connections are reset, new ones too, until `restore()`. */
  cut(): void {
    this.#down = true
    this.#cutAfter = null
    for (const [client, upstream] of this.#links) {
      client.resetAndDestroy()
      upstream.destroy()
    }
    this.#links.clear()
  }

  /**
   * Stays up until a request naming `method` (e.g. "sendrawtransaction") has reached the node, then loses
   * the node's reply and goes down as `cut()` does: the node acted on the request, the client never learns
   * it. Resolves once that happened.
   */
  cutAfter(method: string): Promise<void> {
    return new Promise((resolve) => {
      this.#cutAfter = {
        method,
        cut: () => {
          this.cut()
          resolve()
        },
      }
    })
  }

  /** Reachable again. */
  restore(): void {
    this.#down = false
    this.#cutAfter = null
  }

  async close(): Promise<void> {
    this.cut()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  #accept(client: Socket): void {
    client.on('error', () => {})
    if (this.#down) {
      client.resetAndDestroy()
      return
    }
    const upstream = tcpConnect(Number(this.#target.port), this.#target.hostname)
    upstream.on('error', () => client.destroy())
    this.#links.set(client, upstream)
    /** Whether the request on its way names the method whose reply is to be lost (no pipelining over HTTP/1.1). */
    let doomed = false
    client.on('data', (chunk: Buffer) => {
      const trap = this.#cutAfter
      if (trap !== null && chunk.includes(`"${trap.method}"`)) doomed = true
      upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => {
      if (!doomed) {
        client.write(chunk)
        return
      }
      client.resetAndDestroy()
      this.#cutAfter?.cut()
    })
    const unlink = () => {
      this.#links.delete(client)
      client.destroy()
      upstream.destroy()
    }
    client.on('close', unlink)
    upstream.on('close', unlink)
  }
}
