/**
 * The HTLC's spending rules checked by a real consensus script interpreter (bcoin's, with Bitcoin Core's
 * standard verification flags), not by our own reading of the script.
 */
import { randomBytes } from 'node:crypto'
import test from 'ava'
import { bitcoin, ECPair } from '../../../src/chains/bitcoin/ecc.js'
import { htlcOutput, htlcScript } from '../../../src/chains/bitcoin/htlc-script.js'
import {
  buildClaimTx,
  buildHtlcSpendTx,
  buildRefundTx,
  RBF_SEQUENCE,
} from '../../../src/chains/bitcoin/htlc-tx.js'
import { randomHtlc, randomOutpoint, randomP2wpkhScript, regtest } from '../../helpers/bitcoin-htlc.js'
import { scriptError } from '../../helpers/bitcoin-script-interpreter.js'

const VALUE = 100_000n
type Htlc = ReturnType<typeof randomHtlc>
type Signer = Htlc['claimKey']

/** Any spend of the HTLC, valid or not, built with the unchecked low-level builder. */
function spend(
  htlc: Htlc,
  options: { signer: Signer; stack: (sig: Uint8Array) => Uint8Array[]; lockTime?: number; sequence?: number },
) {
  const built = buildHtlcSpendTx({
    htlcOutpoint: randomOutpoint(VALUE),
    witnessScript: htlc.witnessScript,
    outputScript: randomP2wpkhScript(),
    fee: 500n,
    lockTime: options.lockTime ?? 0,
    sequence: options.sequence ?? RBF_SEQUENCE,
    signer: options.signer,
    witness: options.stack,
  })
  return scriptError(built.hex, { scriptPubKey: htlc.scriptPubKey, value: VALUE })
}

const claimWith = (htlc: Htlc, preimage: Uint8Array, signer: Signer = htlc.claimKey) =>
  spend(htlc, { signer, stack: (sig) => [sig, preimage, htlc.witnessScript] })

const refundWith = (htlc: Htlc, options: { signer?: Signer; lockTime?: number; sequence?: number } = {}) =>
  spend(htlc, {
    signer: options.signer ?? htlc.refundKey,
    lockTime: options.lockTime ?? htlc.deadline,
    ...(options.sequence === undefined ? {} : { sequence: options.sequence }),
    stack: (sig) => [sig, new Uint8Array(0), htlc.witnessScript],
  })

test('the claim and refund built by the public API are valid', (t) => {
  const htlc = randomHtlc()
  const common = {
    htlcOutpoint: randomOutpoint(VALUE),
    witnessScript: htlc.witnessScript,
    destination: randomP2wpkhScript(),
    feeRate: 3n,
    network: regtest,
  }
  const spent = { scriptPubKey: htlc.scriptPubKey, value: VALUE }
  const claim = buildClaimTx({ ...common, preimage: htlc.preimage, claimKey: htlc.claimKey })
  const refund = buildRefundTx({ ...common, refundKey: htlc.refundKey })
  t.is(scriptError(claim.hex, spent), null)
  t.is(scriptError(refund.hex, spent), null)
})

test('the interpreter harness does reject: a spend against another HTLC output fails', (t) => {
  const htlc = randomHtlc()
  const claim = buildClaimTx({
    htlcOutpoint: randomOutpoint(VALUE),
    witnessScript: htlc.witnessScript,
    destination: randomP2wpkhScript(),
    feeRate: 1n,
    network: regtest,
    preimage: htlc.preimage,
    claimKey: htlc.claimKey,
  })
  t.is(
    scriptError(claim.hex, { scriptPubKey: randomHtlc().scriptPubKey, value: VALUE }),
    'WITNESS_PROGRAM_MISMATCH',
  )
  t.not(scriptError(claim.hex, { scriptPubKey: htlc.scriptPubKey, value: VALUE + 1n }), null)
})

test('claim: the right preimage and claim key are valid', (t) => {
  const htlc = randomHtlc()
  t.is(claimWith(htlc, htlc.preimage), null)
})

test('claim: a wrong 32-byte preimage is invalid', (t) => {
  const htlc = randomHtlc()
  t.is(claimWith(htlc, Uint8Array.from(randomBytes(32))), 'EQUALVERIFY')
})

for (const size of [31, 33, 0, 64]) {
  test(`claim: a ${size}-byte preimage is invalid even when the script commits to its hash160`, (t) => {
    const claimKey = ECPair.makeRandom()
    const refundKey = ECPair.makeRandom()
    const preimage = Uint8Array.from(randomBytes(size))
    const deadline = 1_800_000_000
    // The script's hash is that of the wrong-size preimage, so only OP_SIZE 32 stands in the way.
    const witnessScript = htlcScript({
      hash160: bitcoin.crypto.hash160(preimage),
      claimPubkey: claimKey.publicKey,
      refundPubkey: refundKey.publicKey,
      deadline,
    })
    const htlc: Htlc = {
      claimKey,
      refundKey,
      preimage,
      hashlock: bitcoin.crypto.sha256(preimage),
      deadline,
      ...htlcOutput(witnessScript, regtest),
    }
    // The wrong size selects the refund branch: its locktime fails first...
    t.is(claimWith(htlc, preimage), 'UNSATISFIED_LOCKTIME')
    // ...and past the deadline the claim key's signature fails against the refund key.
    t.is(
      spend(htlc, { signer: claimKey, lockTime: deadline, stack: (s) => [s, preimage, witnessScript] }),
      'NULLFAIL',
    )
  })
}

test('claim: signed by the refund key or a stranger is invalid', (t) => {
  const htlc = randomHtlc()
  t.is(claimWith(htlc, htlc.preimage, htlc.refundKey), 'NULLFAIL')
  t.is(claimWith(htlc, htlc.preimage, ECPair.makeRandom()), 'NULLFAIL')
})

test('refund: after the deadline with the refund key is valid', (t) => {
  const htlc = randomHtlc()
  t.is(refundWith(htlc), null)
  t.is(refundWith(htlc, { lockTime: htlc.deadline + 3600 }), null)
})

test('refund: signed by the claim key is invalid', (t) => {
  const htlc = randomHtlc()
  t.is(refundWith(htlc, { signer: htlc.claimKey }), 'NULLFAIL')
})

test('refund: nLockTime before the deadline is invalid', (t) => {
  const htlc = randomHtlc()
  t.is(refundWith(htlc, { lockTime: htlc.deadline - 1 }), 'UNSATISFIED_LOCKTIME')
  t.is(refundWith(htlc, { lockTime: 0 }), 'UNSATISFIED_LOCKTIME')
})

test('refund: a block-height nLockTime is invalid, however high', (t) => {
  const htlc = randomHtlc()
  t.is(refundWith(htlc, { lockTime: 499_999_999 }), 'UNSATISFIED_LOCKTIME')
})

test('refund: nSequence 0xffffffff (locktime disabled) is invalid', (t) => {
  const htlc = randomHtlc()
  t.is(refundWith(htlc, { sequence: 0xffffffff }), 'UNSATISFIED_LOCKTIME')
  t.is(refundWith(htlc, { sequence: 0xfffffffe }), null)
})

test('refund: a 32-byte dummy instead of the empty item takes the claim branch and fails', (t) => {
  const htlc = randomHtlc()
  const dummy = Uint8Array.from(randomBytes(32))
  t.is(
    spend(htlc, {
      signer: htlc.refundKey,
      lockTime: htlc.deadline,
      stack: (s) => [s, dummy, htlc.witnessScript],
    }),
    'EQUALVERIFY',
  )
})
