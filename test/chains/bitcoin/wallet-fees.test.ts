import { randomBytes } from 'node:crypto'
import test from 'ava'
import { bitcoin, ECPair } from '../../../src/chains/bitcoin/ecc.js'
import {
  dustLimit,
  type FeeRatePolicy,
  p2wpkhTxVsize,
  p2wpkhTxWeight,
  resolveFeeRate,
} from '../../../src/chains/bitcoin/fees.js'
import { isSwarmswapError } from '../../../src/errors.js'
import fixtures from '../../fixtures/bitcoin/wallet-fees.json' with { type: 'json' }
import { bytes } from '../../helpers/bytes.js'

for (const fixture of fixtures.dustLimits) {
  test(`dust limit: ${fixture.description}`, (t) => {
    t.is(dustLimit(bytes(fixture.script)), BigInt(fixture.dustLimit))
  })
}

for (const fixture of fixtures.vsizes) {
  test(`vsize: ${fixture.description}`, (t) => {
    t.is(p2wpkhTxVsize(fixture.inputs, fixture.outputScriptLengths), fixture.vsize)
  })
}

for (const fixture of fixtures.feeRates) {
  test(`fee rate: ${fixture.description}`, (t) => {
    const policy: FeeRatePolicy = {
      fallback: fixture.fallback === null ? undefined : BigInt(fixture.fallback),
      max: BigInt(fixture.max),
    }
    const estimate = fixture.estimate === null ? null : BigInt(fixture.estimate)
    if (fixture.error !== undefined) {
      t.true(
        isSwarmswapError(
          t.throws(() => resolveFeeRate(estimate, policy)),
          'NOT_FOUND',
        ),
      )
    } else {
      t.is(resolveFeeRate(estimate, policy), BigInt(fixture.rate ?? ''))
    }
  })
}

test('the weight formula matches real low-R signed P2WPKH transactions (never lighter than signed)', (t) => {
  const network = bitcoin.networks.regtest
  let exact = 0
  for (let round = 0; round < 40; round++) {
    const inputCount = 1 + (round % 4)
    const outputScripts = round % 2 === 0 ? [22, 34] : [22]
    const keys = Array.from({ length: inputCount }, () => {
      const key = ECPair.makeRandom({ network })
      key.lowR = true
      return key
    })
    const psbt = new bitcoin.Psbt({ network })
    for (const key of keys) {
      const script = bitcoin.payments.p2wpkh({ pubkey: key.publicKey }).output as Uint8Array
      psbt.addInput({
        hash: randomBytes(32),
        index: 0,
        sequence: 0xfffffffd,
        witnessUtxo: { script, value: 100_000n },
      })
    }
    for (const length of outputScripts) {
      psbt.addOutput({
        script: new Uint8Array([0x00, length - 2, ...randomBytes(length - 2)]),
        value: 10_000n,
      })
    }
    keys.forEach((key, i) => {
      psbt.signInput(i, key)
    })
    const tx = psbt.finalizeAllInputs().extractTransaction(true)
    const predicted = p2wpkhTxWeight(inputCount, outputScripts)
    // Each signature is 71 bytes, or (rarely) 70 or 69 when r or s has a leading zero byte.
    t.true(
      tx.weight() <= predicted && tx.weight() >= predicted - 2 * inputCount,
      `${tx.weight()} vs ${predicted}`,
    )
    if (tx.weight() === predicted) exact++
  }
  t.true(exact >= 30, 'almost every signature is exactly 71 bytes')
})
