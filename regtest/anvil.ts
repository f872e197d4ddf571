import { type ChildProcess, spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { SwarmswapError } from '../src/errors.js'
import { freePort } from './ports.js'

export interface AnvilOptions {
  /** TCP port on 127.0.0.1; a free one when omitted. */
  port?: number
  chainId?: number
  /** Seconds between blocks; omitted means automine (a block per transaction). */
  blockTime?: number
  /** File to load and save chain state, so a restart keeps it (survives SIGKILL too). */
  stateFile?: string
  /** Start of the chain's clock, in unix seconds. */
  timestamp?: number
}

/** Path of the real anvil binary shipped by @foundry-rs/anvil's platform package (no download). */
function anvilBinary(): string {
  const require = createRequire(import.meta.url)
  const pkg = `@foundry-rs/anvil-${process.platform}-${process.arch === 'x64' ? 'amd64' : process.arch}`
  return join(dirname(require.resolve(`${pkg}/package.json`)), 'bin', 'anvil')
}

/**
 * An anvil devnet child process on loopback. `ready()` resolves once it answers JSON-RPC;
 * `close()` stops exactly this child (by its pid) and waits for it to exit. Both are safe to call twice.
 */
export class Anvil {
  readonly options: AnvilOptions
  port = 0
  private child: ChildProcess | null = null
  private opening: Promise<void> | null = null
  private closing: Promise<void> | null = null

  constructor(options: AnvilOptions = {}) {
    this.options = options
  }

  get rpcUrl(): string {
    return `http://127.0.0.1:${this.port}`
  }

  get pid(): number | undefined {
    return this.child?.pid
  }

  ready(): Promise<void> {
    this.opening ??= this.open()
    return this.opening
  }

  private async open(): Promise<void> {
    this.port = this.options.port ?? (await freePort())
    const args = [
      '--host',
      '127.0.0.1',
      '--port',
      String(this.port),
      '--chain-id',
      String(this.options.chainId ?? 31337),
      '--silent',
    ]
    if (this.options.blockTime !== undefined) args.push('--block-time', String(this.options.blockTime))
    if (this.options.stateFile !== undefined) {
      args.push('--state', this.options.stateFile, '--state-interval', '1')
    }
    if (this.options.timestamp !== undefined) args.push('--timestamp', String(this.options.timestamp))
    const child = spawn(anvilBinary(), args, { stdio: ['ignore', 'ignore', 'pipe'] })
    this.child = child
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000)
    })
    const exited = new Promise<never>((_, reject) => {
      child.once('exit', (code, signal) =>
        reject(
          new SwarmswapError(
            'PROCESS_FAILED',
            `anvil exited (${code ?? signal}) before it was ready: ${stderr}`,
          ),
        ),
      )
      child.once('error', (error) =>
        reject(
          new SwarmswapError('PROCESS_FAILED', `anvil failed to start: ${error.message}`, { cause: error }),
        ),
      )
    })
    exited.catch(() => {})
    await Promise.race([this.waitForRpc(), exited])
  }

  private async waitForRpc(): Promise<void> {
    const deadline = Date.now() + 15_000
    while (Date.now() < deadline) {
      try {
        const response = await fetch(this.rpcUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
        })
        if (response.ok) return
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    throw new SwarmswapError('TIMEOUT', `anvil did not answer on ${this.rpcUrl} within 15 s`)
  }

  close(): Promise<void> {
    this.closing ??= this.stop()
    return this.closing
  }

  private async stop(): Promise<void> {
    await this.opening?.catch(() => {})
    const child = this.child
    if (child === null || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
}
