import { randomBytes } from 'node:crypto'
import test from 'ava'
import { bitcoin, ECPair } from '../../../src/chains/bitcoin/ecc.js'
import { buildClaimTx, buildRefundTx } from '../../../src/chains/bitcoin/htlc-tx.js'
import {
  extractPreimage,
  hash160FromSha256,
  preimageMatches,
  sha256Hashlock,
} from '../../../src/chains/bitcoin/preimage.js'
import { isSwarmswapError } from '../../../src/errors.js'
import { randomHtlc, randomOutpoint, randomP2wpkhScript, regtest } from '../../helpers/bitcoin-htlc.js'
import { hex } from '../../helpers/bytes.js'

function claimAndRefund() {
  const htlc = randomHtlc()
  const outpoint = randomOutpoint(50_000n)
  const common = {
    htlcOutpoint: outpoint,
    witnessScript: htlc.witnessScript,
    destination: randomP2wpkhScript(),
    feeRate: 1n,
    network: regtest,
  }
  const claim = buildClaimTx({ ...common, preimage: htlc.preimage, claimKey: htlc.claimKey })
  const refund = buildRefundTx({ ...common, refundKey: htlc.refundKey })
  return { htlc, outpoint, claim, refund }
}

/** A transaction with the given input witnesses (outpoints random), signatures not checked by extraction. */
function txWithWitnesses(witnesses: Uint8Array[][], spending?: { txid: string; vout: number }[]): string {
  const tx = new bitcoin.Transaction()
  witnesses.forEach((witness, i) => {
    const outpoint = spending?.[i] ?? randomOutpoint(1n)
    tx.addInput(Buffer.from(outpoint.txid, 'hex').reverse(), outpoint.vout, 0xfffffffd)
    tx.setWitness(i, witness)
  })
  tx.addOutput(randomP2wpkhScript(), 1000n)
  return tx.toHex()
}

test('hash helpers: hash160 of the SHA-256 hashlock is the HASH160 of the preimage', (t) => {
  const preimage = Uint8Array.from(randomBytes(32))
  t.is(hex(hash160FromSha256(sha256Hashlock(preimage))), hex(bitcoin.crypto.hash160(preimage)))
  t.true(preimageMatches(preimage, sha256Hashlock(preimage)))
  t.false(preimageMatches(preimage, sha256Hashlock(Uint8Array.from(randomBytes(32)))))
  const long = Uint8Array.from(randomBytes(33))
  t.false(preimageMatches(long, sha256Hashlock(long)), 'a 33-byte secret never matches, even hashing right')
  t.true(
    isSwarmswapError(
      t.throws(() => hash160FromSha256(new Uint8Array(20))),
      'INVALID_ARGUMENT',
    ),
  )
})

test('the preimage is extracted from a claim, with or without the outpoint', (t) => {
  const { htlc, outpoint, claim } = claimAndRefund()
  t.is(
    hex(extractPreimage({ spendingTxHex: claim.hex, hashlock: htlc.hashlock }) ?? new Uint8Array()),
    hex(htlc.preimage),
  )
  const found = extractPreimage({ spendingTxHex: claim.hex, hashlock: htlc.hashlock, htlcOutpoint: outpoint })
  t.is(hex(found ?? new Uint8Array()), hex(htlc.preimage))
})

test('a claim of a different outpoint is ignored when the outpoint is given', (t) => {
  const { htlc, outpoint, claim } = claimAndRefund()
  const elsewhere = [
    { txid: outpoint.txid, vout: outpoint.vout + 1 },
    { txid: randomOutpoint(1n).txid, vout: outpoint.vout },
  ]
  for (const htlcOutpoint of elsewhere) {
    t.is(extractPreimage({ spendingTxHex: claim.hex, hashlock: htlc.hashlock, htlcOutpoint }), null)
  }
})

test('a refund reveals no preimage', (t) => {
  const { htlc, outpoint, refund } = claimAndRefund()
  t.is(extractPreimage({ spendingTxHex: refund.hex, hashlock: htlc.hashlock }), null)
  t.is(extractPreimage({ spendingTxHex: refund.hex, hashlock: htlc.hashlock, htlcOutpoint: outpoint }), null)
})

test('a claim of another HTLC reveals nothing for ours', (t) => {
  const ours = claimAndRefund()
  const theirs = claimAndRefund()
  t.is(extractPreimage({ spendingTxHex: theirs.claim.hex, hashlock: ours.htlc.hashlock }), null)
})

test('unrelated spends reveal nothing', (t) => {
  const { htlc } = claimAndRefund()
  const key = ECPair.makeRandom()
  const p2wpkhSpend = txWithWitnesses([[new Uint8Array(71).fill(1), key.publicKey]])
  const legacySpend = txWithWitnesses([[]])
  t.is(extractPreimage({ spendingTxHex: p2wpkhSpend, hashlock: htlc.hashlock }), null)
  t.is(extractPreimage({ spendingTxHex: legacySpend, hashlock: htlc.hashlock }), null)
})

test('a forged claim witness whose preimage does not hash to the lock is never trusted', (t) => {
  const { htlc, outpoint } = claimAndRefund()
  const forged = [new Uint8Array(71), Uint8Array.from(randomBytes(32)), htlc.witnessScript]
  const spendingTxHex = txWithWitnesses([forged], [outpoint])
  t.is(extractPreimage({ spendingTxHex, hashlock: htlc.hashlock, htlcOutpoint: outpoint }), null)
  // The right preimage in a 4-item witness is not a claim of this script either.
  const extraItem = [new Uint8Array(71), htlc.preimage, htlc.witnessScript, new Uint8Array(1)]
  t.is(
    extractPreimage({ spendingTxHex: txWithWitnesses([extraItem], [outpoint]), hashlock: htlc.hashlock }),
    null,
  )
})

test('the claim input is found among several inputs', (t) => {
  const { htlc, outpoint, claim } = claimAndRefund()
  const claimWitness = bitcoin.Transaction.fromHex(claim.hex).ins[0]?.witness ?? []
  const other = randomOutpoint(1n)
  const spendingTxHex = txWithWitnesses(
    [[new Uint8Array(71), ECPair.makeRandom().publicKey], claimWitness],
    [other, outpoint],
  )
  const found = extractPreimage({ spendingTxHex, hashlock: htlc.hashlock, htlcOutpoint: outpoint })
  t.is(hex(found ?? new Uint8Array()), hex(htlc.preimage))
  t.is(extractPreimage({ spendingTxHex, hashlock: htlc.hashlock, htlcOutpoint: other }), null)
})

test('malformed transaction hex is BAD_DATA', (t) => {
  const { htlc, claim } = claimAndRefund()
  for (const spendingTxHex of ['', 'zz', claim.hex.slice(0, -2), `${claim.hex}00`]) {
    const error = t.throws(() => extractPreimage({ spendingTxHex, hashlock: htlc.hashlock }))
    t.true(isSwarmswapError(error, 'BAD_DATA'), spendingTxHex.slice(0, 10))
  }
})
