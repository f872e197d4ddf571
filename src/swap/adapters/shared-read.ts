/**
 * Shares one in-flight read among concurrent callers: one that asks while a read runs gets that read's answer
 * instead of starting another. Only for reads where an answer to a request sent a moment before the caller
 * asked is as good as a new one: a chain tip, which the engine already takes from a poll up to pollMs old.
 * A swap's step reads the same tip for the engine, for its observation and for its pending transactions.
 */
export function sharedRead<T>(read: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null
  return () => {
    running ??= read().finally(() => {
      running = null
    })
    return running
  }
}
