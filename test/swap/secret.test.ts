import test from 'ava'
import { deriveSecret, hashlockOf, secretKeyFromSeed, swapIdFor } from '../../src/swap/secret.js'

/** Vectors of docs/PROTOCOL.md 12.1, computed independently (Python hashlib/hmac) from the spec text. */
const VECTOR = {
  swapId: 'c2bacde65aace4e1559b778104787bd6b6723355aa8834e02e0ccb111327d369',
  secretKey: 'cc82ee36d2df992768a86453612daf63b5c38cc79e698de05a8d6c785bdc0f07',
  secret: '1dcdde671ad299b09889fea419a212140f7916da67c17339fbe166ee0d58b901',
  hashlock: '4b0391ea10e7db8e5c51d738acc8d7afe2ac25f523c9ce0b9bcd2bed472db50b',
}
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const fill = (n: number, value: number) => new Uint8Array(n).fill(value)

test('swap id, secret key, secret and hashlock match the protocol vectors', (t) => {
  const swapId = swapIdFor({
    requestId: fill(16, 1),
    orderId: fill(32, 2),
    maker: fill(32, 3),
    taker: fill(32, 4),
  })
  t.is(swapId, VECTOR.swapId)
  const key = secretKeyFromSeed(fill(64, 5))
  t.is(hex(key), VECTOR.secretKey)
  const secret = deriveSecret(key, swapId)
  t.is(hex(secret), VECTOR.secret)
  t.is(secret.length, 32)
  t.is(hex(hashlockOf(secret)), VECTOR.hashlock)
})

test('every input of the swap id matters, and secrets differ per swap and per seed', (t) => {
  const base = { requestId: fill(16, 1), orderId: fill(32, 2), maker: fill(32, 3), taker: fill(32, 4) }
  const ids = new Set([
    swapIdFor(base),
    swapIdFor({ ...base, requestId: fill(16, 9) }),
    swapIdFor({ ...base, orderId: fill(32, 9) }),
    swapIdFor({ ...base, maker: fill(32, 9) }),
    swapIdFor({ ...base, taker: fill(32, 9) }),
  ])
  t.is(ids.size, 5)
  const key = secretKeyFromSeed(fill(64, 5))
  t.not(hex(deriveSecret(key, VECTOR.swapId)), hex(deriveSecret(key, 'ff'.repeat(32))))
  t.not(hex(deriveSecret(secretKeyFromSeed(fill(64, 6)), VECTOR.swapId)), VECTOR.secret)
})
