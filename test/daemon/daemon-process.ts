import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import WebSocket from 'ws'
import { type MethodName, type MethodParams, type MethodResult, methods } from '../../src/api/schemas.js'

const ROOT = new URL('../..', import.meta.url).pathname
/** tsx, the whole stack and a wallet scan: seconds on a busy machine. */
const START_TIMEOUT_MS = 60_000

/**
 * A swarmswapd child process (`node bin/swarmswapd.js ...`), as users run it. Every one started is in
 * `DaemonProcess.all`, so a test.after.always can kill them by pid.
 */
export class DaemonProcess {
  static readonly all: DaemonProcess[] = []
  readonly child: ChildProcess
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  stderr = ''

  constructor(args: string[], env: Record<string, string> = {}) {
    // Only what the daemon needs of the environment, so a SWARMSWAP_* of the test runner cannot leak in.
    const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' }
    this.child = spawn(process.execPath, [join(ROOT, 'bin/swarmswapd.js'), ...args], {
      cwd: ROOT,
      env: { ...base, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    DaemonProcess.all.push(this)
    this.exited = once(this.child, 'close').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }))
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString()
    })
  }

  get pid(): number {
    return this.child.pid ?? -1
  }

  /** Runs the daemon to its exit (for refusals): exit code and stderr. */
  static async run(args: string[], env: Record<string, string> = {}) {
    const daemon = new DaemonProcess(args, env)
    const { code } = await daemon.exited
    return { code, stderr: daemon.stderr }
  }

  /** Resolves with a client once this process wrote `<datadir>/api.json`; rejects if it exits first. */
  async ready(datadir: string): Promise<ApiClient> {
    const deadline = Date.now() + START_TIMEOUT_MS
    let gone = false
    void this.exited.then(() => {
      gone = true
    })
    while (Date.now() < deadline) {
      if (gone) throw new Error(`swarmswapd exited before it was ready:\n${this.stderr}`)
      const api = await readFile(join(datadir, 'api.json'), 'utf8').catch(() => null)
      if (api !== null) {
        const { url, pid } = JSON.parse(api) as { url: string; pid: number }
        if (pid === this.pid) return new ApiClient(url, await readFile(join(datadir, '.cookie'), 'utf8'))
      }
      await sleep(50)
    }
    throw new Error(`swarmswapd was not ready in ${START_TIMEOUT_MS} ms:\n${this.stderr}`)
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) process.kill(this.pid, signal)
  }

  static killAll(): void {
    for (const daemon of DaemonProcess.all) daemon.kill()
  }
}

export interface RpcAnswer {
  status: number
  body: unknown
}

/** A bare JSON-RPC client of the daemon (the SDK is built separately; this tests the wire itself). */
export class ApiClient {
  readonly url: string
  readonly cookie: string
  #id = 0

  constructor(url: string, cookie: string) {
    this.url = url
    this.cookie = cookie
  }

  get port(): number {
    return Number(new URL(this.url).port)
  }

  get authorization(): string {
    return `Basic ${Buffer.from(this.cookie).toString('base64')}`
  }

  /** Calls a method; resolves with its result (validated by the contract) or rejects with the RPC error. */
  async call<M extends MethodName>(method: M, params?: MethodParams<M>): Promise<MethodResult<M>> {
    const { body } = await this.post({ jsonrpc: '2.0', id: ++this.#id, method, params: params ?? {} })
    const answer = body as { result?: unknown; error?: { code: number; message: string; data?: unknown } }
    if (answer.error !== undefined) throw Object.assign(new Error(answer.error.message), answer.error)
    return methods[method].result.parse(answer.result) as MethodResult<M>
  }

  /** POSTs a body (a value is sent as JSON, a string as is) with the cookie unless headers say otherwise. */
  async post(body: unknown, headers: Record<string, string> = {}): Promise<RpcAnswer> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { authorization: this.authorization, 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    })
    const text = await response.text()
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) }
  }

  /** Opens the notification WebSocket; collects every message. */
  async subscribe(): Promise<Notifications> {
    const socket = new WebSocket(`${this.url.replace('http', 'ws')}/ws`, {
      headers: { authorization: this.authorization },
    })
    await once(socket, 'open')
    return new Notifications(socket)
  }
}

export interface Notification {
  method: string
  params: Record<string, unknown>
}

export class Notifications {
  readonly socket: WebSocket
  readonly received: Notification[] = []
  readonly #waiters = new Set<() => void>()

  constructor(socket: WebSocket) {
    this.socket = socket
    socket.on('message', (data) => {
      this.received.push(JSON.parse(data.toString()) as Notification)
      for (const wake of this.#waiters) wake()
    })
  }

  /** Resolves with the first notification (received or to come) that `match` accepts. */
  async waitFor(match: (n: Notification) => boolean, timeoutMs = 30_000): Promise<Notification> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const found = this.received.find(match)
      if (found) return found
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#waiters.delete(wake)
          resolve()
        }
        this.#waiters.add(wake)
        setTimeout(wake, 200)
      })
    }
    throw new Error(
      `no matching notification in ${timeoutMs} ms; got ${JSON.stringify(this.received.map((n) => n.method))}`,
    )
  }

  close(): void {
    this.socket.close()
  }
}
