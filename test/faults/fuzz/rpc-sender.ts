import { Agent, request } from 'node:http'
import { connect } from 'node:net'
import type { Connection } from '../../../src/sdk/connection.js'
import type { CutOff } from './rpc-inputs.js'

/** An answer that has not come in this long counts as a hang. */
const ANSWER_TIMEOUT_MS = 30_000

class StaleSocket extends Error {}

export interface HttpAnswer {
  status: number
  text: string
}

/**
 * POSTs raw bytes to the API with the cookie, on keep-alive connections (node:http: a third of fetch's CPU
 * per request, which matters at tens of thousands of them).
 */
export class RpcPoster {
  readonly #connection: Connection
  readonly #agent: Agent

  constructor(connection: Connection, sockets: number) {
    this.#connection = connection
    this.#agent = new Agent({ keepAlive: true, maxSockets: sockets })
  }

  async post(body: Uint8Array): Promise<HttpAnswer> {
    try {
      return await this.#send(body)
    } catch (error) {
      // The server may close an idle keep-alive socket just as a request goes out on it (Node's docs on
      // `request.reusedSocket`): that request never reached the daemon, so it is sent again, once.
      if (!(error instanceof StaleSocket)) throw error
      return await this.#send(body)
    }
  }

  #send(body: Uint8Array): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      const outgoing = request(
        this.#connection.url,
        {
          method: 'POST',
          agent: this.#agent,
          timeout: ANSWER_TIMEOUT_MS,
          headers: {
            'content-type': 'application/json',
            'content-length': body.byteLength,
            authorization: this.#connection.authorization,
          },
        },
        (response) => {
          const chunks: Buffer[] = []
          response.on('data', (chunk: Buffer) => chunks.push(chunk))
          response.on('error', reject)
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          )
        },
      )
      outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer in ${ANSWER_TIMEOUT_MS} ms`)))
      outgoing.on('error', (error: NodeJS.ErrnoException) =>
        reject(outgoing.reusedSocket && error.code === 'ECONNRESET' ? new StaleSocket() : error),
      )
      outgoing.end(body)
    })
  }

  close(): void {
    this.#agent.destroy()
  }
}

/**
 * Sends the start of a call on its own socket and goes away: part of a Content-Length body, an
 * unfinished chunk, or the whole request with the socket destroyed before the answer.
 */
export async function sendCutOff(connection: Connection, cut: CutOff): Promise<void> {
  const { hostname, port } = connection.url
  const head = (framing: string) =>
    `POST / HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: ${connection.authorization}\r\n` +
    `Content-Type: application/json\r\n${framing}\r\n\r\n`
  const body = Buffer.from(cut.body)
  const part = body.subarray(0, cut.sent)
  const bytes =
    cut.framing === 'chunked'
      ? Buffer.concat([
          Buffer.from(head('Transfer-Encoding: chunked')),
          Buffer.from(`${body.byteLength.toString(16)}\r\n`),
          part,
        ])
      : Buffer.concat([
          Buffer.from(head(`Content-Length: ${body.byteLength}`)),
          cut.framing === 'whole-then-gone' ? body : part,
        ])
  await new Promise<void>((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    socket.on('error', reject)
    socket.write(bytes, () => {
      socket.destroy()
      resolve()
    })
  })
}

/** Runs `work` on every item with at most `limit` running at once. */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++] as T
      await work(item)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane))
}
