import { randomBytes } from 'node:crypto'
import test from 'ava'
import { bitcoin, ECPair, ecc } from '../../../src/chains/bitcoin/ecc.js'
import { htlcOutput } from '../../../src/chains/bitcoin/htlc-script.js'
import {
  buildClaimTx,
  buildRefundTx,
  claimVsize,
  RBF_SEQUENCE,
  refundVsize,
} from '../../../src/chains/bitcoin/htlc-tx.js'
import { isSwarmswapError } from '../../../src/errors.js'
import { invalidSpends } from '../../fixtures/bitcoin/htlc-tx-invalid.js'
import { randomHtlc, randomOutpoint, randomP2wpkhScript, regtest } from '../../helpers/bitcoin-htlc.js'
import { hex } from '../../helpers/bytes.js'

const VALUE = 100_000n

/** A claim and a refund of a fresh random HTLC, built by the public API. */
function spendsOf(htlc: ReturnType<typeof randomHtlc>, destination: Uint8Array = randomP2wpkhScript()) {
  const common = {
    htlcOutpoint: randomOutpoint(VALUE),
    witnessScript: htlc.witnessScript,
    destination,
    feeRate: 2n,
    network: regtest,
  }
  const claim = buildClaimTx({ ...common, preimage: htlc.preimage, claimKey: htlc.claimKey })
  const refund = buildRefundTx({ ...common, refundKey: htlc.refundKey })
  return { common, claim, refund }
}

test('claim is 136 vB and refund 128 vB over many random keys and secrets; fee = rate x vsize', (t) => {
  t.is(claimVsize(), 136)
  t.is(refundVsize(), 128)
  for (let i = 0; i < 150; i++) {
    // Half with a deadline past 2^31, whose 5-byte push makes the script 107 bytes.
    const htlc = randomHtlc(i % 2 === 0 ? 1_800_000_000 : 2 ** 31 + i)
    const { claim, refund } = spendsOf(htlc)
    t.is(claim.vsize, 136)
    t.is(refund.vsize, 128)
    t.is(claim.fee, 2n * 136n)
    t.is(refund.fee, 2n * 128n)
    t.is(bitcoin.Transaction.fromHex(claim.hex).virtualSize(), 136)
  }
})

test('vsize formulas match real transactions for other script and output sizes', (t) => {
  const htlc = randomHtlc(3_000_000_000)
  const p2wsh = htlcOutput(htlc.witnessScript, regtest).scriptPubKey
  const { claim, refund } = spendsOf(htlc, p2wsh)
  t.is(claim.vsize, claimVsize(htlc.witnessScript.length, p2wsh.length))
  t.is(refund.vsize, refundVsize(htlc.witnessScript.length, p2wsh.length))
  t.is(claim.vsize, 148) // a P2WSH output is 12 bytes longer than P2WPKH
  t.is(refund.vsize, 140)
})

test('claim and refund have the documented shape: RBF, version 2, locktime, one output of value - fee', (t) => {
  const htlc = randomHtlc()
  const destination = randomP2wpkhScript()
  const { common, claim, refund } = spendsOf(htlc, destination)
  for (const [spend, lockTime, witness] of [
    [claim, 0, [htlc.preimage, htlc.witnessScript]],
    [refund, htlc.deadline, [new Uint8Array(0), htlc.witnessScript]],
  ] as const) {
    const tx = bitcoin.Transaction.fromHex(spend.hex)
    t.is(tx.getId(), spend.txid)
    t.is(tx.version, 2)
    t.is(tx.locktime, lockTime)
    t.is(tx.ins.length, 1)
    t.is(tx.ins[0]?.sequence, RBF_SEQUENCE)
    t.is(tx.ins[0]?.index, common.htlcOutpoint.vout)
    t.is(
      Buffer.from(tx.ins[0]?.hash ?? [])
        .reverse()
        .toString('hex'),
      common.htlcOutpoint.txid,
    )
    t.deepEqual(tx.ins[0]?.witness.slice(1).map(hex), witness.map(hex))
    t.is(tx.outs.length, 1)
    t.is(tx.outs[0]?.value, VALUE - spend.fee)
    t.deepEqual(tx.outs[0]?.script, destination)
  }
})

test('a destination address is accepted and an output exactly at the dust limit is allowed', (t) => {
  const htlc = randomHtlc()
  const destination = bitcoin.payments.p2wpkh({ pubkey: ECPair.makeRandom().publicKey, network: regtest })
  const claim = buildClaimTx({
    htlcOutpoint: randomOutpoint(272n + 294n),
    witnessScript: htlc.witnessScript,
    destination: destination.address as string,
    feeRate: 2n,
    network: regtest,
    preimage: htlc.preimage,
    claimKey: htlc.claimKey,
  })
  const output = bitcoin.Transaction.fromHex(claim.hex).outs[0]
  t.is(output?.value, 294n)
  t.deepEqual(output?.script, destination.output)
})

for (const fixture of invalidSpends) {
  test(`refuses: ${fixture.description}`, (t) => {
    const htlc = randomHtlc()
    const ctx = { ...htlc, outpoint: randomOutpoint(VALUE) }
    const base = {
      htlcOutpoint: ctx.outpoint,
      witnessScript: htlc.witnessScript,
      destination: randomP2wpkhScript(),
      feeRate: 2n,
      network: regtest,
      preimage: htlc.preimage,
      claimKey: htlc.claimKey,
      refundKey: htlc.refundKey,
    }
    const params = { ...base, ...fixture.change(ctx) } as typeof base
    if (fixture.spend !== 'refund') {
      t.true(
        isSwarmswapError(
          t.throws(() => buildClaimTx(params)),
          'INVALID_ARGUMENT',
        ),
        'claim',
      )
    }
    if (fixture.spend !== 'claim') {
      t.true(
        isSwarmswapError(
          t.throws(() => buildRefundTx(params)),
          'INVALID_ARGUMENT',
        ),
        'refund',
      )
    }
  })
}

test('a signer that ignores lowR, making the tx bigger than priced, is refused', (t) => {
  const htlc = randomHtlc(3_000_000_000) // 107-byte script: a 72-byte signature adds a whole vbyte
  const privateKey = htlc.claimKey.privateKey as Uint8Array
  const highR = {
    publicKey: htlc.claimKey.publicKey,
    sign(hash: Uint8Array): Uint8Array {
      for (;;) {
        const signature = ecc.sign(hash, privateKey, Uint8Array.from(randomBytes(32)))
        // r >= 2^255 gets a 0x00 pad in DER; a full-length s keeps the total at 72 bytes with the sighash byte.
        if ((signature[0] ?? 0) >= 0x80 && signature[32] !== 0) return signature
      }
    },
  }
  const params = {
    htlcOutpoint: randomOutpoint(VALUE),
    witnessScript: htlc.witnessScript,
    destination: randomP2wpkhScript(),
    feeRate: 2n,
    network: regtest,
    preimage: htlc.preimage,
  }
  const error = t.throws(() => buildClaimTx({ ...params, claimKey: highR }))
  t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'))
  t.regex(error?.message ?? '', /lowR/)
  t.is(buildClaimTx({ ...params, claimKey: htlc.claimKey }).vsize, 136)
})

test('a signer whose signature does not verify is refused', (t) => {
  const htlc = randomHtlc()
  const broken = { publicKey: htlc.claimKey.publicKey, sign: () => new Uint8Array(64).fill(7) }
  const error = t.throws(() =>
    buildClaimTx({
      htlcOutpoint: randomOutpoint(VALUE),
      witnessScript: htlc.witnessScript,
      destination: randomP2wpkhScript(),
      feeRate: 2n,
      network: regtest,
      preimage: htlc.preimage,
      claimKey: broken,
    }),
  )
  t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'))
})
