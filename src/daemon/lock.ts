import { open, readFile, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { DATADIR_FILES } from '../api/paths.js'
import { SwarmswapError } from '../errors.js'

/**
 * One daemon per data dir: `<datadir>/swarmswapd.lock` holds the owner's pid, created exclusively. A lock
 * whose pid is no longer running (the daemon was killed) is taken over.
 */
export class DatadirLock {
  readonly path: string
  #held = false

  constructor(datadir: string) {
    this.path = join(datadir, DATADIR_FILES.lock)
  }

  /** Takes the lock; INVALID_ARGUMENT when a live process holds it. */
  async acquire(): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(this.path, 'wx', 0o600)
        await handle.writeFile(`${process.pid}\n`)
        await handle.close()
        this.#held = true
        return
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      }
      const owner = await this.#owner()
      if (owner !== null && owner !== process.pid && isRunning(owner)) {
        throw new SwarmswapError(
          'INVALID_ARGUMENT',
          `another swarmswapd (pid ${owner}) is using this data dir (${this.path})`,
          { details: { pid: owner } },
        )
      }
      await unlink(this.path).catch(() => {})
    }
    throw new SwarmswapError('INTERNAL', `could not take the lock ${this.path}`)
  }

  /** Removes the lock file if this process holds it. Safe to call twice. */
  async release(): Promise<void> {
    if (!this.#held) return
    this.#held = false
    if ((await this.#owner()) === process.pid) await unlink(this.path).catch(() => {})
  }

  async #owner(): Promise<number | null> {
    const text = await readFile(this.path, 'utf8').catch(() => '')
    const pid = Number(text.trim())
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it runs, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
