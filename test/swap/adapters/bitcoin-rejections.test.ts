import test from 'ava'
import { classifyRejection } from '../../../src/swap/adapters/bitcoin-rejections.js'
import fixtures from '../../fixtures/swap/bitcoin-rejections.json' with { type: 'json' }

for (const { node, rpcCode, message, expected } of fixtures.cases) {
  test(`${node} ${rpcCode} "${message}" -> ${expected}`, (t) => {
    const outcome = classifyRejection(rpcCode, message)
    t.is(outcome.kind as string, expected)
    // The node's own words reach the engine's history, for 'retry' and 'dropped' alike.
    if (outcome.kind !== 'accepted') t.is(outcome.reason, message)
  })
}
