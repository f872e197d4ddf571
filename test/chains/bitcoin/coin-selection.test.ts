import test from 'ava'
import { type SelectableCoin, selectCoins } from '../../../src/chains/bitcoin/coin-selection.js'
import { dustLimit, feeFor, p2wpkhTxVsize } from '../../../src/chains/bitcoin/fees.js'
import { isSwarmswapError } from '../../../src/errors.js'
import fixtures from '../../fixtures/bitcoin/wallet-coin-selection.json' with { type: 'json' }

const SCRIPTS = {
  p2wpkh: new Uint8Array([0x00, 0x14, ...new Uint8Array(20)]),
  p2wsh: new Uint8Array([0x00, 0x20, ...new Uint8Array(32)]),
  p2pkh: new Uint8Array([0x76, 0xa9, 0x14, ...new Uint8Array(20), 0x88, 0xac]),
}
const CHANGE_SCRIPT = SCRIPTS.p2wpkh

type FixtureCase = { coins: string[]; outputs: { type: string; value: string }[]; feeRate: string }

function requestOf(fixture: FixtureCase) {
  return {
    coins: fixture.coins.map((value, vout) => ({ txid: 'aa'.repeat(32), vout, value: BigInt(value) })),
    outputs: fixture.outputs.map((o) => ({
      script: SCRIPTS[o.type as keyof typeof SCRIPTS],
      value: BigInt(o.value),
    })),
    feeRate: BigInt(fixture.feeRate),
    changeScript: CHANGE_SCRIPT,
  }
}

for (const fixture of fixtures.valid) {
  test(`selects: ${fixture.description}`, (t) => {
    const selection = selectCoins(requestOf(fixture))
    t.deepEqual(
      selection.inputs.map((coin) => coin.value.toString()),
      fixture.expected.inputs,
    )
    t.is(selection.change, BigInt(fixture.expected.change))
    t.is(selection.fee, BigInt(fixture.expected.fee))
    t.is(selection.vsize, fixture.expected.vsize)
    t.is(selection.algorithm, fixture.expected.algorithm as typeof selection.algorithm)
  })
}

for (const fixture of fixtures.invalid) {
  test(`refuses: ${fixture.description}`, (t) => {
    const error = t.throws(() => selectCoins(requestOf(fixture)))
    t.true(isSwarmswapError(error, fixture.error.code as 'INSUFFICIENT_FUNDS' | 'INVALID_ARGUMENT'))
    if (fixture.error.code === 'INSUFFICIENT_FUNDS' && isSwarmswapError(error)) {
      t.deepEqual(error.details, {
        needed: BigInt(fixture.error.needed ?? ''),
        available: BigInt(fixture.error.available ?? ''),
      })
    }
  })
}

/** Deterministic pseudo-random numbers (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let x = Math.imul(state ^ (state >>> 15), 1 | state)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

test('invariants over 2000 random wallets: money adds up, fee covers the exact vsize, no dust change', (t) => {
  const next = random(84)
  const between = (low: number, high: number) => BigInt(low + Math.floor(next() * (high - low)))
  let changeless = 0
  let withChange = 0
  let insufficient = 0
  for (let round = 0; round < 2000; round++) {
    const coins: SelectableCoin[] = Array.from({ length: Math.floor(next() * 10) }, (_, vout) => ({
      txid: 'bb'.repeat(32),
      vout,
      value: between(300, 300_000),
    }))
    const outputs = Array.from({ length: 1 + Math.floor(next() * 3) }, () => ({
      script: next() < 0.5 ? SCRIPTS.p2wpkh : SCRIPTS.p2wsh,
      value: between(330, 200_000),
    }))
    const feeRate = between(1, 30)
    const outputTotal = outputs.reduce((sum, o) => sum + o.value, 0n)
    try {
      const selection = selectCoins({ coins, outputs, feeRate, changeScript: CHANGE_SCRIPT })
      const inputTotal = selection.inputs.reduce((sum, coin) => sum + coin.value, 0n)
      t.is(inputTotal, outputTotal + selection.change + selection.fee)
      t.is(new Set(selection.inputs.map((coin) => coin.vout)).size, selection.inputs.length)
      const lengths = outputs.map((o) => o.script.length)
      if (selection.change > 0n) lengths.push(CHANGE_SCRIPT.length)
      t.is(selection.vsize, p2wpkhTxVsize(selection.inputs.length, lengths))
      const minimumFee = feeFor(selection.vsize, feeRate)
      t.true(selection.fee >= minimumFee)
      if (selection.change > 0n) {
        withChange++
        t.is(selection.fee, minimumFee)
        t.true(selection.change >= dustLimit(CHANGE_SCRIPT))
      } else {
        changeless++
        // The overpayment is less than a change output plus either its future spend or the dust limit.
        const overpaid = selection.fee - minimumFee
        t.true(overpaid <= feeFor(99, feeRate) || overpaid < feeFor(31, feeRate) + dustLimit(CHANGE_SCRIPT))
      }
    } catch (error) {
      if (!isSwarmswapError(error, 'INSUFFICIENT_FUNDS')) throw error
      insufficient++
      t.true((error.details.needed as bigint) > (error.details.available as bigint))
    }
  }
  // The generator must exercise every branch, or the test proves little.
  t.true(
    changeless > 50 && withChange > 50 && insufficient > 50,
    `${changeless}/${withChange}/${insufficient}`,
  )
})
