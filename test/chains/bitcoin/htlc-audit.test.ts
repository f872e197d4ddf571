import test from 'ava'
import { bitcoin, ECPair } from '../../../src/chains/bitcoin/ecc.js'
import { auditHtlcOutput, type ExpectedHtlc, type HtlcLock } from '../../../src/chains/bitcoin/htlc-audit.js'
import { htlcOutput, htlcScript } from '../../../src/chains/bitcoin/htlc-script.js'
import { bitcoinNetwork } from '../../../src/chains/bitcoin/networks.js'
import { sha256Hashlock } from '../../../src/chains/bitcoin/preimage.js'
import { isSwarmswapError } from '../../../src/errors.js'
import { randomHtlc, randomOutpoint, randomP2wpkhScript, regtest } from '../../helpers/bitcoin-htlc.js'
import { hex } from '../../helpers/bytes.js'

const AMOUNT = 250_000n

/** The terms we agreed to (we hold the claim key) and the peer's lock tx paying them at vout 1. */
function agreed() {
  const htlc = randomHtlc()
  const expected: ExpectedHtlc = {
    hashlock: htlc.hashlock,
    claimPubkey: htlc.claimKey.publicKey,
    refundPubkey: htlc.refundKey.publicKey,
    deadline: htlc.deadline,
    amount: AMOUNT,
    minConfirmations: 1,
    network: regtest,
  }
  return { htlc, expected }
}

/** What the peer locks: the agreed terms with `change` applied, paid at vout 1 after a change output. */
function peerLock(expected: ExpectedHtlc, change: Partial<ExpectedHtlc> = {}, confirmations = 1): HtlcLock {
  const terms = { ...expected, ...change }
  const witnessScript = htlcScript({
    sha256Hashlock: terms.hashlock,
    claimPubkey: terms.claimPubkey,
    refundPubkey: terms.refundPubkey,
    deadline: terms.deadline,
  })
  const tx = new bitcoin.Transaction()
  const funding = randomOutpoint(1n)
  tx.addInput(Buffer.from(funding.txid, 'hex').reverse(), 0)
  tx.addOutput(randomP2wpkhScript(), 12_345n)
  tx.addOutput(htlcOutput(witnessScript, terms.network).scriptPubKey, terms.amount)
  return { txHex: tx.toHex(), vout: 1, confirmations, witnessScriptHint: witnessScript }
}

function auditField(t: { throws: (fn: () => unknown) => unknown }, lock: HtlcLock, expected: ExpectedHtlc) {
  const error = t.throws(() => auditHtlcOutput(lock, expected))
  return isSwarmswapError(error, 'AUDIT_FAILED') ? error.details.field : `not AUDIT_FAILED: ${String(error)}`
}

test('a lock matching every term passes and returns the HTLC output', (t) => {
  const { htlc, expected } = agreed()
  const lock = peerLock(expected)
  const audited = auditHtlcOutput(lock, expected)
  t.is(audited.vout, 1)
  t.is(audited.value, AMOUNT)
  t.is(audited.txid, bitcoin.Transaction.fromHex(lock.txHex).getId())
  t.is(audited.address, htlc.address)
  t.is(hex(audited.witnessScript), hex(htlc.witnessScript))
})

test('without vout or hint the HTLC output is found among the outputs', (t) => {
  const { expected } = agreed()
  const { txHex } = peerLock(expected)
  t.is(auditHtlcOutput({ txHex, confirmations: 3 }, expected).vout, 1)
})

const singleFieldMutations: { field: string; change: (e: ExpectedHtlc) => Partial<ExpectedHtlc> }[] = [
  { field: 'amount', change: (e) => ({ amount: e.amount - 1n }) },
  { field: 'amount', change: (e) => ({ amount: e.amount + 1n }) },
  { field: 'hash', change: () => ({ hashlock: sha256Hashlock(new Uint8Array(32).fill(9)) }) },
  { field: 'claimKey', change: () => ({ claimPubkey: ECPair.makeRandom().publicKey }) },
  { field: 'refundKey', change: () => ({ refundPubkey: ECPair.makeRandom().publicKey }) },
  { field: 'deadline', change: (e) => ({ deadline: e.deadline - 1 }) },
  { field: 'deadline', change: (e) => ({ deadline: e.deadline + 3600 }) },
  // The peer locks the whole amount to our own key as refund key and itself as claimer: keys swapped.
  { field: 'claimKey', change: (e) => ({ claimPubkey: e.refundPubkey, refundPubkey: e.claimPubkey }) },
]

for (const { field, change } of singleFieldMutations) {
  test(`a lock with one wrong term fails on '${field}' (${change.toString().slice(6, 60)})`, (t) => {
    const { expected } = agreed()
    t.is(auditField(t, peerLock(expected, change(expected)), expected), field)
  })
}

test('a wrong term is reported as script when the peer sends no (or a lying) hint', (t) => {
  const { expected } = agreed()
  const { txHex, vout, confirmations, witnessScriptHint } = peerLock(expected, {
    deadline: expected.deadline - 1,
  })
  t.is(auditField(t, { txHex, vout, confirmations }, expected), 'script')
  const honest = peerLock(expected)
  // The hint is the agreed script but the output pays another: the hint does not explain the output.
  t.is(
    auditField(t, { txHex, confirmations, witnessScriptHint: honest.witnessScriptHint }, expected),
    'script',
  )
  t.is(auditField(t, { txHex, confirmations, witnessScriptHint: new Uint8Array([0x51]) }, expected), 'script')
  t.is(auditField(t, { txHex, confirmations, witnessScriptHint }, expected), 'deadline')
})

test('the network only changes the reported address, not the output', (t) => {
  const { expected } = agreed()
  // Same script, so the same P2WSH output on every network: the network only changes the address.
  const lock = peerLock(expected, { network: bitcoinNetwork('mainnet') })
  t.is(auditHtlcOutput(lock, expected).address.slice(0, 4), 'bcrt')
})

test('a vout pointing at another output fails on script; a missing vout on output', (t) => {
  const { expected } = agreed()
  const lock = peerLock(expected)
  t.is(auditField(t, { ...lock, vout: 0, witnessScriptHint: undefined }, expected), 'script')
  t.is(auditField(t, { ...lock, vout: 2 }, expected), 'output')
})

test('too few confirmations fail on confirmations, after every other field passed', (t) => {
  const { expected } = agreed()
  const strict = { ...expected, minConfirmations: 3 }
  t.is(auditField(t, peerLock(strict, {}, 2), strict), 'confirmations')
  t.is(auditField(t, peerLock(strict, {}, 0), strict), 'confirmations')
  t.is(auditHtlcOutput(peerLock(strict, {}, 3), strict).value, AMOUNT)
  // A wrong amount is reported before the missing confirmations.
  t.is(auditField(t, peerLock(strict, { amount: 1n }, 0), strict), 'amount')
})

test('two outputs to the HTLC script: the one with the exact amount is chosen', (t) => {
  const { htlc, expected } = agreed()
  const tx = new bitcoin.Transaction()
  tx.addInput(Buffer.alloc(32, 1), 0)
  tx.addOutput(htlc.scriptPubKey, AMOUNT - 1n)
  tx.addOutput(htlc.scriptPubKey, AMOUNT)
  t.is(auditHtlcOutput({ txHex: tx.toHex(), confirmations: 1 }, expected).vout, 1)
})

test('malformed lock tx hex is BAD_DATA; invalid expected terms are INVALID_ARGUMENT', (t) => {
  const { expected } = agreed()
  t.true(
    isSwarmswapError(
      t.throws(() => auditHtlcOutput({ txHex: 'zz', confirmations: 1 }, expected)),
      'BAD_DATA',
    ),
  )
  const lock = peerLock(expected)
  const badTerms: Partial<ExpectedHtlc>[] = [
    { deadline: 400_000 },
    { amount: 0n },
    { amount: -AMOUNT },
    { minConfirmations: -1 },
    { hashlock: new Uint8Array(31) },
  ]
  for (const change of badTerms) {
    const error = t.throws(() => auditHtlcOutput(lock, { ...expected, ...change }))
    t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'), Object.keys(change).join())
  }
})
