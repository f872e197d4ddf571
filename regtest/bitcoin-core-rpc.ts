import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { stringify } from 'lossless-json'
import { type CoreMethod, CoreRpcError, RPC } from './bitcoin-core-methods.js'

const MAX_BODY_BYTES = 32 * 1024 * 1024

export interface CoreRpcServerOptions {
  host: string
  port: number
  user: string
  password: string
  methods: ReadonlyMap<string, CoreMethod>
}

interface Reply {
  result: unknown
  error: { code: number; message: string } | null
  id: unknown
}

/**
 * Bitcoin Core's JSON-RPC HTTP transport (legacy JSON-RPC 1.0 behaviour, as bitcoind answers a
 * `"jsonrpc": "1.0"` request): POST only, HTTP Basic auth with a 401 and empty body on failure, replies
 * `{ result, error, id }`, HTTP 500 for errors, 404 for an unknown method, 400 for an invalid request, 200
 * for batches. Amounts in results are LosslessNumbers and are written verbatim.
 */
export class CoreRpcServer {
  private readonly options: CoreRpcServerOptions
  private readonly server: Server
  private readonly credentials: Buffer

  constructor(options: CoreRpcServerOptions) {
    this.options = options
    this.credentials = digest(`${options.user}:${options.password}`)
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) send(response, 500, replyError(null, RPC.MISC_ERROR, String(error)))
      })
    })
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject)
        resolve()
      })
    })
  }

  async close(): Promise<void> {
    if (!this.server.listening) return
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.server.closeAllConnections()
    await closed
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'POST') {
      response
        .writeHead(405, { 'content-type': 'text/plain' })
        .end('JSONRPC server handles only POST requests')
      return
    }
    if (!this.authorised(request.headers.authorization)) {
      response.writeHead(401, { 'www-authenticate': 'Basic realm="jsonrpc"', 'content-length': '0' }).end()
      return
    }
    let body: unknown
    try {
      body = JSON.parse(await readBody(request))
    } catch {
      send(response, 500, replyError(null, RPC.PARSE_ERROR, 'Parse error'))
      return
    }
    if (Array.isArray(body)) {
      const replies: Reply[] = []
      for (const call of body) replies.push(await this.execute(call))
      send(response, 200, replies)
      return
    }
    const reply = await this.execute(body)
    send(response, statusOf(reply), reply)
  }

  private authorised(header: string | undefined): boolean {
    if (header === undefined || !header.startsWith('Basic ')) return false
    const given = digest(Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8'))
    return timingSafeEqual(given, this.credentials)
  }

  private async execute(call: unknown): Promise<Reply> {
    if (typeof call !== 'object' || call === null) {
      return replyError(null, RPC.INVALID_REQUEST, 'Invalid Request object')
    }
    const { id = null, method, params = [] } = call as { id?: unknown; method?: unknown; params?: unknown }
    if (typeof method !== 'string') {
      return replyError(
        id,
        RPC.INVALID_REQUEST,
        method === undefined ? 'Missing method' : 'Method must be a string',
      )
    }
    if (!Array.isArray(params)) {
      return replyError(
        id,
        RPC.INVALID_REQUEST,
        'Params must be an array (named parameters are not supported here)',
      )
    }
    const handler = this.options.methods.get(method)
    if (handler === undefined) return replyError(id, RPC.METHOD_NOT_FOUND, 'Method not found')
    try {
      return { result: (await handler(params)) ?? null, error: null, id }
    } catch (error) {
      if (error instanceof CoreRpcError) return replyError(id, error.code, error.message)
      return replyError(id, RPC.MISC_ERROR, error instanceof Error ? error.message : String(error))
    }
  }
}

function replyError(id: unknown, code: number, message: string): Reply {
  return { result: null, error: { code, message }, id }
}

/** Core's HTTP status for a single reply (httprpc.cpp JSONErrorReply). */
function statusOf(reply: Reply): number {
  if (reply.error === null) return 200
  if (reply.error.code === RPC.INVALID_REQUEST) return 400
  if (reply.error.code === RPC.METHOD_NOT_FOUND) return 404
  return 500
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = `${stringify(body) ?? 'null'}\n`
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  })
  response.end(text)
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new Error('request body too large')
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}
