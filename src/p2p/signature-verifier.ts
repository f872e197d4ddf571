import { Worker } from 'node:worker_threads'
import crypto from 'hypercore-crypto'
import { SwarmswapError } from '../errors.js'

export interface SignatureCheck {
  message: Uint8Array
  signature: Uint8Array
  publicKey: Uint8Array
}

/** Below this many signatures a batch is verified in place: a worker round trip would cost more. */
const INLINE_BATCH = 16

interface Pending {
  resolve: (results: boolean[]) => void
  reject: (error: Error) => void
}

/**
 * Verifies ed25519 signatures, large batches on a worker thread. A snapshot of thousands of orders costs
 * ~60 µs of CPU per signature; on the worker that time overlaps with decoding and with every other
 * connection's traffic instead of blocking the event loop. `ready()`/`close()` are safe to call twice.
 */
export class SignatureVerifier {
  #worker: Worker | null = null
  #nextId = 0
  readonly #pending = new Map<number, Pending>()
  #closed = false

  /** Resolves to one boolean per check, in order. */
  async verify(checks: SignatureCheck[]): Promise<boolean[]> {
    if (this.#closed) throw new SwarmswapError('CLOSED', 'the signature verifier is closed')
    if (checks.length < INLINE_BATCH) return checks.map(verifyOne)
    const worker = this.#start()
    const id = this.#nextId++
    return await new Promise<boolean[]>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      worker.postMessage({ id, checks })
    })
  }

  /** Starts the worker ahead of the first large batch (a node does this when it opens). */
  ready(): void {
    if (!this.#closed) this.#start()
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#fail(new SwarmswapError('CLOSED', 'the signature verifier was closed'))
    await this.#worker?.terminate()
    this.#worker = null
  }

  #start(): Worker {
    if (this.#worker !== null) return this.#worker
    // Plain CommonJS: no loader flags (such as tsx's) inherited from this process, so it starts in ~30 ms.
    const worker = new Worker(new URL('./signature-worker.cjs', import.meta.url), { execArgv: [] })
    worker.unref()
    worker.on('message', ({ id, results }: { id: number; results: boolean[] }) => {
      this.#pending.get(id)?.resolve(results)
      this.#pending.delete(id)
    })
    worker.on('error', (error) => {
      // The worker is gone: fail what it held; the next batch starts a new one.
      this.#worker = null
      this.#fail(
        new SwarmswapError('INTERNAL', `signature worker failed: ${error.message}`, { cause: error }),
      )
    })
    this.#worker = worker
    return worker
  }

  #fail(error: Error): void {
    for (const pending of this.#pending.values()) pending.reject(error)
    this.#pending.clear()
  }
}

function verifyOne({ message, signature, publicKey }: SignatureCheck): boolean {
  try {
    return crypto.verify(message, signature, publicKey)
  } catch {
    return false
  }
}
