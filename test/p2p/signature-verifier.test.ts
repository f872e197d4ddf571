import { randomBytes } from 'node:crypto'
import test from 'ava'
import crypto from 'hypercore-crypto'
import { isSwarmswapError } from '../../src/errors.js'
import { SignatureVerifier } from '../../src/p2p/signature-verifier.js'

function checks(count: number, badAt: number[]) {
  const keyPair = crypto.keyPair()
  return Array.from({ length: count }, (_, i) => {
    const message = Uint8Array.from(randomBytes(32))
    const signature = Uint8Array.from(crypto.sign(message, keyPair.secretKey))
    if (badAt.includes(i)) signature[0] = (signature[0] ?? 0) ^ 1
    return { message, signature, publicKey: Uint8Array.from(keyPair.publicKey) }
  })
}

for (const [name, count] of [
  ['a small batch (verified in place)', 5],
  ['a large batch (verified on the worker)', 300],
] as const) {
  test(`${name}: one answer per signature, in order, false exactly for the forged ones`, async (t) => {
    const verifier = new SignatureVerifier()
    t.teardown(() => verifier.close())
    verifier.ready()
    const bad = [0, Math.floor(count / 2), count - 1]
    const results = await verifier.verify(checks(count, bad))
    t.is(results.length, count)
    for (const [i, ok] of results.entries()) t.is(ok, !bad.includes(i), `signature ${i}`)
  })
}

test('a wrong-length key or signature is false, not an error', async (t) => {
  const verifier = new SignatureVerifier()
  t.teardown(() => verifier.close())
  const [good] = checks(1, [])
  if (good === undefined) return t.fail()
  const cases = [
    { ...good, publicKey: good.publicKey.subarray(1) },
    { ...good, signature: good.signature.subarray(1) },
  ]
  t.deepEqual(
    await verifier.verify([...cases, ...Array.from({ length: 20 }, () => cases[0] as typeof good)]),
    Array(22).fill(false),
  )
})

test('after close() verify refuses with CLOSED; close() twice is fine', async (t) => {
  const verifier = new SignatureVerifier()
  verifier.ready()
  await verifier.close()
  await verifier.close()
  const error = await t.throwsAsync(verifier.verify(checks(20, [])))
  t.true(isSwarmswapError(error, 'CLOSED'))
})
