import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import type { SwapStatus } from '../../src/swap/types.js'
import {
  type ChildCommand,
  type ChildConfig,
  type ChildReport,
  childReportSchema,
} from './trader-child-protocol.js'

const CHILD_SCRIPT = 'test/helpers/trader-child.ts'
/** Starting a child (tsx, the whole stack, a wallet scan) takes seconds on a busy machine. */
const START_TIMEOUT_MS = 60_000

export type CrashReport = Extract<ChildReport, { event: 'crash' }>

/**
 * The test's handle on a trader-child process: sends it commands, collects its reports and its exit.
 * Every handle started is listed in `TraderProcess.all`, so a test.after.always can kill them all by pid.
 */
export class TraderProcess {
  static readonly all: TraderProcess[] = []
  readonly child: ChildProcess
  /** Resolves with how the child ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Its wallet's first receive address and its EVM account, once it is ready. */
  btcAddress = ''
  evmAddress = ''
  /** The crash report, once the child wrote it. */
  crash: CrashReport | undefined
  readonly #reports: ChildReport[] = []
  readonly #waiters = new Set<() => void>()
  #stderr = ''
  #gone = false

  private constructor(config: ChildConfig) {
    this.child = spawn(process.execPath, ['--import', 'tsx', CHILD_SCRIPT, JSON.stringify(config)], {
      cwd: new URL('../..', import.meta.url).pathname,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    TraderProcess.all.push(this)
    // 'close', not 'exit': by then every line the child wrote has been read.
    this.exited = once(this.child, 'close').then(([code, signal]) => {
      this.#gone = true
      this.#notify()
      return { code: code as number | null, signal: signal as NodeJS.Signals | null }
    })
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr += chunk.toString()
    })
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const report = childReportSchema.parse(JSON.parse(line))
      if (report.event === 'crash') this.crash = report
      this.#reports.push(report)
      this.#notify()
    })
  }

  /** Starts a child trader and resolves once its TradingNode is open. */
  static async start(config: ChildConfig): Promise<TraderProcess> {
    const trader = new TraderProcess(config)
    const ready = await trader.#next((report) => report.event === 'ready', START_TIMEOUT_MS)
    if (ready.event === 'ready') {
      trader.btcAddress = ready.btcAddress
      trader.evmAddress = ready.evmAddress
    }
    return trader
  }

  /** Runs a command; resolves with its result (order id, swap id), rejects with the child's failure. */
  async request(command: ChildCommand, timeoutMs = 60_000): Promise<string | undefined> {
    const from = this.#reports.length
    this.child.stdin?.write(`${JSON.stringify(command)}\n`)
    const answer = await this.#next(
      (report, index) =>
        index >= from && (report.event === 'reply' || report.event === 'failed') && report.op === command.op,
      timeoutMs,
    )
    if (answer.event === 'failed') throw new Error(`${command.op} failed: ${answer.code} ${answer.message}`)
    return answer.event === 'reply' ? answer.result : undefined
  }

  /** Resolves with the id of the first swap the child reported at `status`. */
  async reached(status: SwapStatus, timeoutMs: number): Promise<string> {
    const report = await this.#next(
      (r) => (r.event === 'update' || r.event === 'crash') && r.status === status,
      timeoutMs,
    )
    return report.event === 'update' || report.event === 'crash' ? report.id : ''
  }

  /** What the child said so far, reports and stderr, for failure messages. */
  get transcript(): string {
    return `${this.#reports.map((report) => JSON.stringify(report)).join('\n')}\n${this.#stderr}`
  }

  /** SIGKILLs the child (by pid) if it still runs, and waits for its exit. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined) {
      process.kill(this.child.pid, 'SIGKILL')
    }
    await this.exited
  }

  /** The first report (from the start) that matches; rejects if the child exits or `timeoutMs` passes first. */
  #next(match: (report: ChildReport, index: number) => boolean, timeoutMs: number): Promise<ChildReport> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.#reports.find(match)
        if (!found && !this.#gone) return
        cleanup()
        if (found) resolve(found)
        else
          reject(
            new Error(
              `trader child exited (${this.child.signalCode ?? this.child.exitCode}):\n${this.transcript}`,
            ),
          )
      }
      const timer = setTimeout(() => {
        cleanup()
        reject(new Error(`trader child: no such report within ${timeoutMs} ms:\n${this.transcript}`))
      }, timeoutMs)
      const cleanup = () => {
        clearTimeout(timer)
        this.#waiters.delete(check)
      }
      this.#waiters.add(check)
      check()
    })
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter()
  }
}
