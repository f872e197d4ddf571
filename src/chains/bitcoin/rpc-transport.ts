import http from 'node:http'
import https from 'node:https'

/** What one POST brought back. */
export interface PostReply {
  status: number
  text: string
}

/** Why a POST got no reply: the node did not answer in time, or could not be reached (or hung up). */
export class PostFailure extends Error {
  constructor(
    readonly kind: 'timeout' | 'unreachable',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'PostFailure'
  }
}

/**
 * An idle connection is closed after this long, before the node would close it: Bitcoin Core's
 * rpcservertimeout is 30 s and Node.js servers (the embedded regtest node) keep 5 s.
 */
const IDLE_SOCKET_MS = 4_000

/**
 * POSTs JSON-RPC bodies to one node over kept-alive connections (node:http). A request costs a fraction of
 * the CPU of `fetch` (measured against the regtest node: about 0.4 ms against 1.2-2 ms per call), and a swap
 * makes dozens of them. A reset on a reused connection is the node having closed it while idle, before it
 * read the request, so the request is sent once more on a new connection. Were the node to die mid-call
 * instead, the repeat is still harmless for what swaps send: reads, and sendrawtransaction, whose repeat is
 * "already in the mempool" or "already in the chain".
 */
export class RpcTransport {
  readonly #url: URL
  readonly #timeoutMs: number
  readonly #agent: http.Agent
  readonly #request: typeof http.request

  constructor(url: string, timeoutMs: number) {
    this.#url = new URL(url)
    this.#timeoutMs = timeoutMs
    const secure = this.#url.protocol === 'https:'
    this.#request = secure ? https.request : http.request
    const options = { keepAlive: true, timeout: IDLE_SOCKET_MS }
    this.#agent = secure ? new https.Agent(options) : new http.Agent(options)
  }

  async post(body: string, authorization: string): Promise<PostReply> {
    try {
      return await this.#send(body, authorization)
    } catch (error) {
      if (error instanceof StaleSocket) return await this.#send(body, authorization)
      throw error
    }
  }

  #send(body: string, authorization: string): Promise<PostReply> {
    return new Promise((resolve, reject) => {
      const request = this.#request(
        this.#url,
        {
          method: 'POST',
          agent: this.#agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization,
          },
        },
        (response) => {
          const chunks: Buffer[] = []
          response.on('data', (chunk: Buffer) => chunks.push(chunk))
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          )
          response.on('error', (error) => reject(this.#unreachable(error)))
        },
      )
      request.setTimeout(this.#timeoutMs, () => {
        request.destroy(
          new PostFailure('timeout', `no answer from ${this.#url.origin} within ${this.#timeoutMs} ms`),
        )
      })
      request.on('error', (error) => {
        if (error instanceof PostFailure) reject(error)
        else if (request.reusedSocket && isReset(error)) reject(new StaleSocket(error))
        else reject(this.#unreachable(error))
      })
      request.end(body)
    })
  }

  #unreachable(error: Error): PostFailure {
    return new PostFailure('unreachable', `cannot reach ${this.#url.origin}: ${error.message}`, {
      cause: error,
    })
  }
}

/** A kept-alive connection the node had closed: the request never reached it. */
class StaleSocket extends Error {
  constructor(cause: Error) {
    super('the kept-alive connection was closed by the node', { cause })
  }
}

function isReset(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'ECONNRESET' || code === 'EPIPE'
}
