import test from 'ava'
import { sharedRead } from '../../../src/swap/adapters/shared-read.js'

/** A read whose answers the test releases by hand; counts how often it started. */
function manualRead() {
  const pending: { resolve: (value: number) => void; reject: (error: Error) => void }[] = []
  const read = sharedRead(
    () =>
      new Promise<number>((resolve, reject) => {
        pending.push({ resolve, reject })
      }),
  )
  return { read, pending }
}

test('callers that ask while a read runs share it; a caller after it settles starts a new one', async (t) => {
  const { read, pending } = manualRead()
  const first = read()
  const second = read()
  t.is(pending.length, 1, 'one request for two concurrent callers')
  pending[0]?.resolve(7)
  t.deepEqual(await Promise.all([first, second]), [7, 7])
  const third = read()
  t.is(pending.length, 2, 'a settled read is not reused')
  pending[1]?.resolve(8)
  t.is(await third, 8)
})

test('a failed read fails its sharers and is not kept', async (t) => {
  const { read, pending } = manualRead()
  const both = [read(), read()]
  pending[0]?.reject(new Error('node down'))
  for (const result of await Promise.allSettled(both)) t.is(result.status, 'rejected')
  const again = read()
  t.is(pending.length, 2)
  pending[1]?.resolve(1)
  t.is(await again, 1)
})

test('with reuseMs, an answer is given again until that long after its read started', async (t) => {
  let reads = 0
  const read = sharedRead(async () => ++reads, { reuseMs: 200 })
  t.is(await read(), 1)
  t.is(await read(), 1, 'reused within reuseMs')
  await new Promise((resolve) => setTimeout(resolve, 250))
  t.is(await read(), 2, 'read again after reuseMs')
})
