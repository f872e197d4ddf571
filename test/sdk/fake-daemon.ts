import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'

export interface FakeAnswer {
  status: number
  body: string
}

/**
 * A stand-in for the daemon that answers whatever a test tells it: it produces the protocol failures a real
 * swarmswapd never does (results off the schema, garbage, silence). No chain is involved.
 */
export class FakeDaemon {
  readonly requests: { method: string; authorization: string | undefined }[] = []
  answer: (method: string) => FakeAnswer | null = () => null
  readonly #http: Server
  readonly #ws: WebSocketServer

  constructor() {
    this.#http = createServer((request, response) => void this.#onRequest(request, response))
    this.#ws = new WebSocketServer({ server: this.#http, path: '/ws' })
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#http.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(this.#http.address() as AddressInfo).port}`
  }

  /** Sends `message` as is to every WebSocket client. */
  push(message: string): void {
    for (const client of this.#ws.clients) client.send(message)
  }

  async close(): Promise<void> {
    for (const client of this.#ws.clients) client.terminate()
    this.#ws.close()
    this.#http.closeAllConnections()
    await new Promise((resolve) => this.#http.close(resolve))
  }

  async #onRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let body = ''
    for await (const chunk of request) body += String(chunk)
    const { method } = JSON.parse(body) as { method: string }
    this.requests.push({ method, authorization: request.headers.authorization })
    const answer = this.answer(method)
    if (answer === null) return // silence: the client must time out
    response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body)
  }
}

/** A JSON-RPC success answer. */
export function result(value: unknown): FakeAnswer {
  return { status: 200, body: JSON.stringify({ jsonrpc: '2.0', id: 1, result: value }) }
}

/** An application error (-32000) as the daemon sends it: its message, and its code and details as data. */
export function appError(message: string, data: { code: string; details?: unknown }): FakeAnswer {
  return {
    status: 200,
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: -32000, message, data } }),
  }
}
