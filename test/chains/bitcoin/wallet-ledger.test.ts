import test from 'ava'
import { bitcoin } from '../../../src/chains/bitcoin/ecc.js'
import type { OwnedScript } from '../../../src/chains/bitcoin/wallet-addresses.js'
import { balanceOf, isSpendable, WalletLedger } from '../../../src/chains/bitcoin/wallet-ledger.js'

/** Distinct P2WPKH-shaped scripts; the wallet owns those made with an index below 100. */
const script = (n: number) => new Uint8Array([0x00, 0x14, ...new Uint8Array(19), n])
const MINE = script(1)
const CHANGE = script(2)
const OTHER = script(200)

function lookup(candidate: Uint8Array): OwnedScript | undefined {
  const n = candidate[21] ?? 255
  const isP2wpkh = candidate.length === 22 && candidate[0] === 0x00
  return isP2wpkh && n < 100 ? { branch: 0, index: n, address: `addr${n}`, script: candidate } : undefined
}

let nonce = 0
/** A transaction spending `ins` (txid, vout), or a coinbase when `ins` is empty. */
function makeTx(
  ins: [string, number][],
  outs: [Uint8Array, bigint][],
): { txid: string; tx: bitcoin.Transaction } {
  const tx = new bitcoin.Transaction()
  tx.locktime = nonce++ // keeps every transaction's id unique
  if (ins.length === 0) tx.addInput(new Uint8Array(32), 0xffffffff)
  for (const [txid, vout] of ins) tx.addInput(Buffer.from(txid, 'hex').reverse(), vout)
  for (const [out, value] of outs) tx.addOutput(out, value)
  return { txid: tx.getId(), tx }
}
const external = (): [string, number] => [Buffer.from([nonce++, ...new Uint8Array(31)]).toString('hex'), 0]

test('a coinbase matures at 100 confirmations', (t) => {
  const ledger = new WalletLedger(lookup)
  const coinbase = makeTx([], [[MINE, 5_000n]])
  ledger.addConfirmed(coinbase.txid, coinbase.tx, 100)
  const [coin] = ledger.coins()
  if (coin === undefined) return t.fail()
  t.deepEqual(balanceOf([coin], 198), { confirmed: 0n, unconfirmed: 0n, immature: 5_000n })
  t.false(isSpendable(coin, 198), '99 confirmations')
  t.deepEqual(balanceOf([coin], 199), { confirmed: 5_000n, unconfirmed: 0n, immature: 0n })
  t.true(isSpendable(coin, 199), '100 confirmations')
})

test('confirmed spends remove coins; mempool spends mark them; rewind restores them', (t) => {
  const ledger = new WalletLedger(lookup)
  const pay = makeTx([external()], [[MINE, 5_000n]])
  const spend = makeTx(
    [[pay.txid, 0]],
    [
      [OTHER, 3_000n],
      [CHANGE, 1_900n],
    ],
  )
  ledger.addConfirmed(pay.txid, pay.tx, 1)

  ledger.setPending([spend], [])
  const pending = ledger.coins()
  t.is(pending.find((c) => c.txid === pay.txid)?.spentBy, spend.txid)
  t.true(pending.find((c) => c.txid === spend.txid)?.trusted, 'own change is trusted')
  t.deepEqual(balanceOf(pending, 1), { confirmed: 0n, unconfirmed: 1_900n, immature: 0n })

  ledger.addConfirmed(spend.txid, spend.tx, 2)
  ledger.setPending([], [])
  t.deepEqual(
    ledger.coins().map((c) => [c.txid, c.vout, c.height]),
    [[spend.txid, 1, 2]],
  )

  ledger.rewind(2)
  t.false(ledger.isConfirmed(spend.txid))
  t.deepEqual(balanceOf(ledger.coins(), 1), { confirmed: 5_000n, unconfirmed: 0n, immature: 0n })
})

test('an unconfirmed payment from elsewhere is unconfirmed balance but not spendable', (t) => {
  const ledger = new WalletLedger(lookup)
  const incoming = makeTx([external()], [[MINE, 7_000n]])
  ledger.setPending([incoming], [])
  const [coin] = ledger.coins()
  if (coin === undefined) return t.fail()
  t.false(coin.trusted)
  t.false(isSpendable(coin, 10))
  t.deepEqual(balanceOf([coin], 10), { confirmed: 0n, unconfirmed: 7_000n, immature: 0n })
})

test('a broadcast transaction that lost to a confirmed or mempool conflict is dropped with its children', (t) => {
  const ledger = new WalletLedger(lookup)
  const pay = makeTx([external()], [[MINE, 5_000n]])
  ledger.addConfirmed(pay.txid, pay.tx, 1)
  const local = makeTx([[pay.txid, 0]], [[CHANGE, 4_000n]])
  const child = makeTx([[local.txid, 0]], [[script(3), 3_000n]])
  const winner = makeTx([[pay.txid, 0]], [[OTHER, 4_500n]])

  ledger.setPending([winner], [local, child])
  t.deepEqual(
    ledger.coins().map((c) => [c.txid, c.spentBy]),
    [[pay.txid, winner.txid]],
  )

  ledger.setPending([], [])
  ledger.addConfirmed(winner.txid, winner.tx, 2)
  ledger.setPending([], [local, child])
  t.deepEqual(ledger.coins(), [], 'the confirmed conflict wins')
})

test('transactions neither paying nor spending the wallet are ignored', (t) => {
  const ledger = new WalletLedger(lookup)
  const unrelated = makeTx([external()], [[OTHER, 1_000n]])
  ledger.addConfirmed(unrelated.txid, unrelated.tx, 1)
  ledger.setPending([makeTx([external()], [[OTHER, 2_000n]])], [])
  t.false(ledger.isConfirmed(unrelated.txid))
  t.deepEqual(ledger.coins(), [])
})
