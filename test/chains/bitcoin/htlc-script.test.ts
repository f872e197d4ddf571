import { createHash } from 'node:crypto'
import test from 'ava'
import {
  decodeHtlcScript,
  type HtlcScriptParams,
  htlcOutput,
  htlcScript,
} from '../../../src/chains/bitcoin/htlc-script.js'
import { BITCOIN_NETWORK_NAMES, bitcoinNetwork } from '../../../src/chains/bitcoin/networks.js'
import { hash160FromSha256, sha256Hashlock } from '../../../src/chains/bitcoin/preimage.js'
import { isSwarmswapError } from '../../../src/errors.js'
import fixtures from '../../fixtures/bitcoin/htlc-script.json' with { type: 'json' }
import { bytes, hex } from '../../helpers/bytes.js'

type ValidFixture = (typeof fixtures.valid)[number]

function termsOf(fixture: ValidFixture) {
  return {
    claimPubkey: bytes(fixture.claimPubkey),
    refundPubkey: bytes(fixture.refundPubkey),
    deadline: fixture.deadline,
  }
}

for (const fixture of fixtures.valid) {
  test(`valid: ${fixture.description}`, (t) => {
    const preimage = bytes(fixture.preimage)
    t.is(hex(sha256Hashlock(preimage)), fixture.sha256Hashlock)
    t.is(hex(hash160FromSha256(bytes(fixture.sha256Hashlock))), fixture.hash160)

    const fromSha256 = htlcScript({ ...termsOf(fixture), sha256Hashlock: bytes(fixture.sha256Hashlock) })
    const fromHash160 = htlcScript({ ...termsOf(fixture), hash160: bytes(fixture.hash160) })
    t.is(hex(fromSha256), fixture.scriptHex)
    t.is(hex(fromHash160), fixture.scriptHex)
    t.is(fromSha256.length, fixture.scriptLength)

    for (const name of BITCOIN_NETWORK_NAMES) {
      const expected = fixture.addresses[name === 'signet' ? 'testnet' : name]
      const output = htlcOutput(fromSha256, bitcoinNetwork(name))
      t.is(output.address, expected, name)
      t.is(hex(output.scriptPubKey), `0020${createHash('sha256').update(fromSha256).digest('hex')}`)
      t.is(output.witnessScript, fromSha256)
    }

    t.deepEqual(decodeHtlcScript(bytes(fixture.scriptHex)), {
      ...termsOf(fixture),
      hash160: bytes(fixture.hash160),
    })
  })
}

for (const fixture of fixtures.invalidTerms) {
  test(`invalid terms: ${fixture.description}`, (t) => {
    const base = fixtures.valid[0] as ValidFixture
    const { change } = fixture
    const params = {
      ...termsOf(base),
      ...('hash160' in change || 'sha256Hashlock' in change ? {} : { hash160: bytes(base.hash160) }),
      ...('hash160' in change ? { hash160: bytes(change.hash160 as string) } : {}),
      ...('sha256Hashlock' in change ? { sha256Hashlock: bytes(change.sha256Hashlock as string) } : {}),
      ...('claimPubkey' in change ? { claimPubkey: bytes(change.claimPubkey as string) } : {}),
      ...('refundPubkey' in change ? { refundPubkey: bytes(change.refundPubkey as string) } : {}),
      ...('deadline' in change ? { deadline: change.deadline as number } : {}),
    } as HtlcScriptParams
    const error = t.throws(() => htlcScript(params))
    t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'))
    t.is(isSwarmswapError(error) ? error.details.field : undefined, fixture.field)
  })
}

test('the base script of the mutation table decodes', (t) => {
  t.not(decodeHtlcScript(bytes((fixtures.valid[0] as ValidFixture).scriptHex)), null)
})

for (const fixture of fixtures.mutatedScripts) {
  test(`decodeHtlcScript rejects: ${fixture.description}`, (t) => {
    t.not(fixture.scriptHex, (fixtures.valid[0] as ValidFixture).scriptHex)
    t.is(decodeHtlcScript(bytes(fixture.scriptHex)), null)
  })
}

test('a changed data byte decodes to the changed terms, never to the original ones', (t) => {
  const base = fixtures.valid[1] as ValidFixture
  const script = bytes(base.scriptHex)
  const original = decodeHtlcScript(script)
  const dataRanges = [
    [7, 27], // hash160
    [29, 62], // claim key
    [64, 68], // deadline
    [71, 104], // refund key
  ] as const
  for (const [from, to] of dataRanges) {
    for (let i = from; i < to; i++) {
      const mutated = Uint8Array.from(script)
      mutated[i] = (mutated[i] ?? 0) ^ 0x01
      const decoded = decodeHtlcScript(mutated)
      // Keys may leave the curve (null); any script that decodes must re-encode to itself, not to the original.
      if (decoded !== null) t.notDeepEqual(decoded, original, `byte ${i}`)
      if (decoded !== null) t.is(hex(htlcScript(decoded)), hex(mutated), `byte ${i}`)
    }
  }
})
