import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { RegtestControl } from '../regtest/control.js'
import { type RegtestEndpoints, regtestEndpointsSchema } from '../regtest/endpoints.js'
import { SwarmswapError } from '../src/errors.js'

const CHILD = fileURLToPath(new URL('./regtest-child.ts', import.meta.url))
const START_TIMEOUT_MS = 60_000

/** The regtest chains (bcoin, anvil, DHT) in a child process, with a control over their RPC from this one. */
export class RegtestProcess {
  readonly endpoints: RegtestEndpoints
  readonly control: RegtestControl
  readonly #child: ChildProcess

  private constructor(child: ChildProcess, endpoints: RegtestEndpoints) {
    this.#child = child
    this.endpoints = endpoints
    this.control = new RegtestControl(endpoints)
  }

  static async start(): Promise<RegtestProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { stdio: ['pipe', 'pipe', 'inherit'] })
    try {
      const endpoints = await firstLine(child, START_TIMEOUT_MS)
      return new RegtestProcess(child, regtestEndpointsSchema.parse(JSON.parse(endpoints)))
    } catch (error) {
      child.kill()
      throw error
    }
  }

  /** Stops the child (it closes its chains when its stdin ends) and waits for it to exit. */
  async close(): Promise<void> {
    await this.control.close()
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return
    const exited = once(this.#child, 'exit')
    this.#child.stdin?.end()
    await exited
  }
}

async function firstLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  return await new Promise((resolve, reject) => {
    let text = ''
    const timer = setTimeout(
      () => fail(new SwarmswapError('TIMEOUT', 'the regtest child did not start')),
      timeoutMs,
    )
    const fail = (error: Error) => {
      clearTimeout(timer)
      reject(error)
    }
    child.once('exit', (code) =>
      fail(new SwarmswapError('INTERNAL', `the regtest child exited with ${code}`)),
    )
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8')
      const end = text.indexOf('\n')
      if (end === -1) return
      clearTimeout(timer)
      resolve(text.slice(0, end))
    })
  })
}
