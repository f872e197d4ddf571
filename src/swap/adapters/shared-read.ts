import { performance } from 'node:perf_hooks'

/**
 * Shares one read among callers: one that asks while a read runs gets that read's answer instead of starting
 * another, and with `reuseMs` an answer is also given again until that long after its read started. Only for
 * reads where an answer a moment old is as good as a new one: a chain tip (the engine already takes one
 * polled up to pollMs ago; a swap's step reads it for the engine, its observation and its pending
 * transactions) or a fee estimate. A failed read is never given again.
 */
export function sharedRead<T>(read: () => Promise<T>, options: { reuseMs?: number } = {}): () => Promise<T> {
  const reuseMs = options.reuseMs ?? 0
  let last: { answer: Promise<T>; at: number; settled: boolean } | null = null
  return () => {
    if (last !== null && (!last.settled || performance.now() - last.at < reuseMs)) return last.answer
    const reading = { answer: read(), at: performance.now(), settled: false }
    last = reading
    reading.answer.then(
      () => {
        reading.settled = true
      },
      () => {
        if (last === reading) last = null
      },
    )
    return reading.answer
  }
}
