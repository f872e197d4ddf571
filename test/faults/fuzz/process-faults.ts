import { describeError } from '../../helpers/wire-fuzz.js'

/**
 * Unhandled rejections and uncaught exceptions in this (the test) process, counted from `install()` on, so
 * each fuzz case can add the ones that happened while it ran to its failures. Observes only: the monitor
 * event leaves Node's and ava's own handling as it is.
 */
export class ProcessFaults {
  readonly seen: string[] = []

  install(): void {
    process.on('unhandledRejection', (reason) =>
      this.seen.push(`unhandled rejection: ${describeError(reason)}`),
    )
    process.on('uncaughtExceptionMonitor', (error) =>
      this.seen.push(`uncaught exception: ${describeError(error)}`),
    )
  }

  /** The faults after `mark` (a previous `seen.length`). */
  since(mark: number): string[] {
    return this.seen.slice(mark)
  }
}
