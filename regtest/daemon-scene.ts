import type { ChildProcess } from 'node:child_process'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { SwarmswapClient } from '../src/sdk/client.js'
import { spawnTs, stopChild } from './child-process.js'
import { RegtestEnv } from './env.js'

const ROOT = new URL('..', import.meta.url).pathname

export interface RunningDaemon {
  name: string
  datadir: string
  child: ChildProcess
  client: SwarmswapClient
  /** Everything the daemon wrote to stderr (its logs), for failure messages. */
  logs(): string
}

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * A regtest environment on free ports and real swarmswapd processes on it (bin/swarmswapd.js), each with its
 * own temporary data dir. `close()` stops every daemon it started (by pid) and the environment.
 */
export class DaemonScene {
  readonly env = new RegtestEnv({ ports: 'free' })
  readonly daemons: RunningDaemon[] = []
  #root = ''

  async ready(): Promise<void> {
    await this.env.ready()
    this.#root = await mkdtemp(join(tmpdir(), 'swarmswap-cli-'))
    await writeFile(join(this.#root, 'password'), 'correct horse battery staple\n', { mode: 0o600 })
  }

  /** Starts `swarmswapd` on a new data dir and resolves once its API answers. */
  async start(name: string): Promise<RunningDaemon> {
    const datadir = join(this.#root, name)
    const child = spawnTs('bin/swarmswapd.js', [
      '--endpoints',
      this.env.endpointsFile,
      '--datadir',
      datadir,
      '--api-port',
      '0',
      '--password-file',
      join(this.#root, 'password'),
      '--print-words-to',
      join(this.#root, `${name}.words`),
      '--log-level',
      'info',
    ])
    let logs = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      logs += chunk.toString()
    })
    child.stdout?.resume()
    const daemon: RunningDaemon = {
      name,
      datadir,
      child,
      client: new SwarmswapClient({ datadir }),
      logs: () => logs,
    }
    this.daemons.push(daemon)
    await waitForApi(daemon, 60_000)
    return daemon
  }

  /** Funds a daemon's wallet on both chains from the regtest faucets; not concurrently (one faucet wallet). */
  async fund(daemon: RunningDaemon, funds: { sats: bigint; wei: bigint }): Promise<void> {
    const info = await daemon.client.info()
    if (funds.sats > 0n) await this.env.control.fundBitcoin(info.bitcoin.receiveAddress, funds.sats)
    if (funds.wei > 0n) await this.env.control.fundEth(info.evm.address, funds.wei)
  }

  /** Runs the real CLI (bin/swarmswap.js) against a daemon's data dir. */
  cli(daemon: RunningDaemon, args: string[]): Promise<CliResult> {
    return runCli(['--datadir', daemon.datadir, ...args])
  }

  async close(): Promise<void> {
    await Promise.allSettled(
      this.daemons.map(async (daemon) => {
        await daemon.client.close()
        await stopChild(daemon.child, 'SIGTERM')
      }),
    )
    await this.env.close()
    if (this.#root !== '') await rm(this.#root, { recursive: true, force: true })
  }
}

/** Runs bin/swarmswap.js with `args`; never rejects (the exit code is in the result). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/swarmswap.js', ...args], { cwd: ROOT, env }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null
      resolve({ code, stdout, stderr })
    })
  })
}

async function waitForApi(daemon: RunningDaemon, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (daemon.child.exitCode !== null) {
      throw new Error(`swarmswapd ${daemon.name} exited with ${daemon.child.exitCode}: ${daemon.logs()}`)
    }
    if (existsSync(join(daemon.datadir, 'api.json'))) {
      try {
        await daemon.client.info()
        return
      } catch {
        // api.json appears just before the API answers on every path; try again.
      }
    }
    await sleep(100)
  }
  throw new Error(`swarmswapd ${daemon.name} not ready after ${timeoutMs} ms: ${daemon.logs()}`)
}
