import test from 'ava'
import { auditEvmLock } from '../../../src/chains/evm/audit.js'
import { isSwarmswapError, type SwarmswapError } from '../../../src/errors.js'
import { CONTRACT, expected, found, mutations } from '../../fixtures/evm/audit.js'

const options = { contractAddress: CONTRACT, minConfirmations: 2, currentBlock: 101 }

test('a lock of exactly the expected terms passes, with its confirmations', (t) => {
  t.deepEqual(auditEvmLock(found, expected, options), { confirmations: 2 })
})

test('address case and hashlock case do not matter', (t) => {
  const lower = {
    ...expected,
    sender: expected.sender.toLowerCase(),
    recipient: expected.recipient.toLowerCase(),
    hashlock: expected.hashlock.toUpperCase().replace('0X', '0x'),
  }
  t.notThrows(() => auditEvmLock(found, lower, { ...options, contractAddress: CONTRACT.toLowerCase() }))
})

for (const mutation of mutations) {
  test(`the audit rejects ${mutation.description} and names ${mutation.field}`, (t) => {
    const error = t.throws(() => auditEvmLock({ ...found, ...mutation.found }, expected, options))
    t.true(isSwarmswapError(error, 'AUDIT_FAILED'))
    t.is((error as SwarmswapError).details.field, mutation.field)
  })
}
