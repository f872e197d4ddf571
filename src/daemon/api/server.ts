import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { WebSocket, WebSocketServer } from 'ws'
import { type NotificationName, type NotificationParams, notifications } from '../../api/schemas.js'
import type { MethodHandlers } from '../methods.js'
import { type Cookie, originProblem } from './auth.js'
import { answerRpc } from './rpc.js'

/** Largest request body (and WebSocket message) accepted. */
export const MAX_BODY_BYTES = 1024 * 1024

export interface ApiServerOptions {
  /** 0: any free port. */
  port: number
  cookie: Cookie
  handlers: MethodHandlers
  log: Logger
}

/**
 * The local API on 127.0.0.1 only: JSON-RPC 2.0 by HTTP POST on `/`, notifications on the WebSocket `/ws`.
 * Both check, before anything runs, that no Origin header is present and the Host names this port (403),
 * then the cookie (401); bodies over 1 MiB get 413.
 */
export class ApiServer {
  readonly #options: ApiServerOptions
  readonly #http: Server
  readonly #ws = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES })
  #port = 0

  constructor(options: ApiServerOptions) {
    this.#options = options
    this.#http = createServer((request, response) => {
      // A client that goes away mid-body fails readBody ('aborted'): nobody is left to answer, and the
      // rejection must not escape, where it would end the daemon.
      this.#onRequest(request, response).catch(() => response.destroy())
    })
    this.#http.on('upgrade', (request, socket, head) => this.#onUpgrade(request, socket, head))
    // Clients only listen; anything they send is ignored.
    this.#ws.on('connection', (socket) => socket.on('error', () => socket.terminate()))
  }

  get port(): number {
    return this.#port
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`
  }

  async listen(): Promise<number> {
    this.#http.listen(this.#options.port, '127.0.0.1')
    await once(this.#http, 'listening')
    const address = this.#http.address()
    this.#port = typeof address === 'object' && address !== null ? address.port : this.#options.port
    return this.#port
  }

  /** Pushes a notification to every WebSocket client. */
  notify<N extends NotificationName>(method: N, params: NotificationParams<N>): void {
    const checked = notifications[method].safeParse(params)
    if (!checked.success) {
      this.#options.log.error(
        { method, issues: checked.error.issues },
        'notification off its schema, not sent',
      )
      return
    }
    const text = JSON.stringify({ jsonrpc: '2.0', method, params: checked.data })
    for (const client of this.#ws.clients) if (client.readyState === WebSocket.OPEN) client.send(text)
  }

  async close(): Promise<void> {
    for (const client of this.#ws.clients) client.close(1001, 'daemon stopping')
    this.#ws.close()
    const closed = new Promise<void>((resolve) => this.#http.close(() => resolve()))
    this.#http.closeAllConnections()
    await closed
  }

  /** Why the request must be refused (status and reason), or null. */
  #refusal(request: IncomingMessage): { status: number; reason: string } | null {
    const problem = originProblem(request, this.#port)
    if (problem !== null) return { status: 403, reason: problem }
    if (!this.#options.cookie.accepts(request)) {
      return {
        status: 401,
        reason: `missing or wrong credentials (the cookie in ${this.#options.cookie.path})`,
      }
    }
    return null
  }

  async #onRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const refusal = this.#refusal(request)
    if (refusal !== null) return reply(response, refusal.status, { error: refusal.reason })
    if (request.url !== '/') return reply(response, 404, { error: 'not found: POST JSON-RPC to /' })
    if (request.method !== 'POST') return reply(response, 405, { error: 'use POST' })
    const body = await readBody(request)
    if (body === null) return reply(response, 413, { error: `request body over ${MAX_BODY_BYTES} bytes` })
    const answer = await answerRpc(body, this.#options.handlers, (error, method) =>
      this.#options.log.error({ err: error, method }, 'internal error in an API method'),
    )
    if (answer === undefined) {
      response.writeHead(204).end()
      return
    }
    reply(response, 200, answer)
  }

  #onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refusal =
      this.#refusal(request) ?? (new URL(request.url ?? '/', 'http://x').pathname === '/ws' ? null : notFound)
    if (refusal !== null) {
      socket.end(`HTTP/1.1 ${refusal.status} ${STATUS_TEXT[refusal.status]}\r\nConnection: close\r\n\r\n`)
      return
    }
    this.#ws.handleUpgrade(request, socket, head, (client) => this.#ws.emit('connection', client, request))
  }
}

const notFound = { status: 404, reason: 'the WebSocket is at /ws' }
const STATUS_TEXT: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' }

function reply(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...(status === 401 ? { 'www-authenticate': 'Basic realm="swarmswapd"' } : {}),
    ...(status === 413 ? { connection: 'close' } : {}),
  })
  response.end(text)
}

/**
 * The body as text, or null once it exceeds MAX_BODY_BYTES: reading stops there (the 413 response
 * closes the connection), so an oversized body is never buffered.
 */
function readBody(request: IncomingMessage): Promise<string | null> {
  if (Number(request.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return Promise.resolve(null)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk)
      request.off('data', onData)
      request.pause()
      resolve(null)
    }
    request.on('data', onData)
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    request.on('error', reject)
  })
}
