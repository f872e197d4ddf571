import { EventEmitter } from 'node:events'
import WebSocket from 'ws'
import { z } from 'zod'
import { type NotificationName, notifications } from '../api/schemas.js'
import type { Connection } from './connection.js'
import { describeIssues, SwarmswapApiError } from './errors.js'
import type { OrderbookChanged, SwapUpdated } from './types.js'

export interface SwarmswapEventMap {
  /** A swap's stored record changed (status, a new step, a txid). */
  'swap.updated': [SwapUpdated]
  /** An order appeared, changed or left a joined book. */
  'orderbook.changed': [OrderbookChanged]
  /** A notification failed validation. Only emitted when someone listens for it. */
  error: [SwarmswapApiError]
  /** The WebSocket closed: by `close()`, or because the daemon went away. */
  close: []
}

const envelope = z.object({ jsonrpc: z.literal('2.0'), method: z.string(), params: z.unknown() })

/** The daemon's notifications over one WebSocket, as typed events. `close()` is safe to call twice. */
export class SwarmswapEvents extends EventEmitter<SwarmswapEventMap> {
  readonly #socket: WebSocket
  #closed = false

  private constructor(socket: WebSocket) {
    super()
    this.#socket = socket
    socket.on('message', (data) => this.#onMessage(data.toString()))
    socket.on('close', () => {
      this.#closed = true
      this.emit('close')
    })
    // After the handshake, socket errors are followed by 'close', which is what callers act on.
    socket.on('error', () => {})
  }

  /** Opens the WebSocket; resolves once the daemon accepted it, so no later notification is missed. */
  static open(connection: Connection, timeoutMs: number): Promise<SwarmswapEvents> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(connection.wsUrl, {
        headers: { authorization: connection.authorization },
        handshakeTimeout: timeoutMs,
      })
      const fail = (error: SwarmswapApiError) => {
        socket.removeAllListeners()
        socket.on('error', () => {})
        socket.terminate()
        reject(error)
      }
      socket.once('unexpected-response', (_request, response) => {
        const status = response.statusCode ?? 0
        fail(
          status === 401 || status === 403
            ? new SwarmswapApiError('UNAUTHORIZED', 'the daemon refused the credential on its WebSocket')
            : new SwarmswapApiError('UNREACHABLE', `the daemon refused the WebSocket (HTTP ${status})`),
        )
      })
      socket.once('error', (error) =>
        fail(
          new SwarmswapApiError('UNREACHABLE', `cannot open the WebSocket at ${connection.wsUrl.origin}`, {
            cause: error,
          }),
        ),
      )
      socket.once('open', () => {
        socket.removeAllListeners()
        resolve(new SwarmswapEvents(socket))
      })
    })
  }

  get closed(): boolean {
    return this.#closed
  }

  close(): Promise<void> {
    if (this.#socket.readyState === WebSocket.CLOSED) return Promise.resolve()
    return new Promise((resolve) => {
      this.#socket.once('close', () => resolve())
      if (this.#socket.readyState !== WebSocket.CLOSING) this.#socket.close()
    })
  }

  #onMessage(text: string): void {
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      this.#reportBadData('a WebSocket message is not JSON')
      return
    }
    const message = envelope.safeParse(json)
    if (!message.success) {
      this.#reportBadData('a WebSocket message is not a JSON-RPC notification')
      return
    }
    const { method, params } = message.data
    // Notifications this SDK does not know come from a newer daemon: ignoring them keeps it compatible.
    if (!isNotificationName(method)) return
    const parsed = notifications[method].safeParse(params)
    if (!parsed.success) {
      this.#reportBadData(`invalid '${method}' notification: ${describeIssues(parsed.error)}`)
      return
    }
    if (method === 'swap.updated') this.emit(method, parsed.data as SwapUpdated)
    else this.emit(method, parsed.data as OrderbookChanged)
  }

  #reportBadData(message: string): void {
    if (this.listenerCount('error') > 0) this.emit('error', new SwarmswapApiError('BAD_DATA', message))
  }
}

function isNotificationName(method: string): method is NotificationName {
  return Object.hasOwn(notifications, method)
}
