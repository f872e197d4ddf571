/**
 * The HTLC on a real regtest node (bcoin answering like Bitcoin Core): locks, claims and refunds go through
 * sendrawtransaction, so the node's consensus and mempool rules decide, not our own code.
 */
import { randomBytes } from 'node:crypto'
import test from 'ava'
import { BitcoinNode } from '../../../regtest/bitcoin-node.js'
import { bitcoin, ECPair } from '../../../src/chains/bitcoin/ecc.js'
import { auditHtlcOutput } from '../../../src/chains/bitcoin/htlc-audit.js'
import { htlcOutput, htlcScript } from '../../../src/chains/bitcoin/htlc-script.js'
import {
  buildClaimTx,
  buildHtlcSpendTx,
  buildRefundTx,
  type HtlcOutpoint,
  type HtlcSigner,
  RBF_SEQUENCE,
} from '../../../src/chains/bitcoin/htlc-tx.js'
import { extractPreimage, sha256Hashlock } from '../../../src/chains/bitcoin/preimage.js'
import { BitcoinRpc } from '../../../src/chains/bitcoin/rpc.js'
import { isSwarmswapError } from '../../../src/errors.js'
import { spendP2wpkh } from '../../helpers/bitcoin-funding.js'
import { randomP2wpkhScript, regtest } from '../../helpers/bitcoin-htlc.js'
import { hex } from '../../helpers/bytes.js'

const AMOUNT = 100_000n
const node = new BitcoinNode({ mining: { mode: 'automine' } })
let rpc: BitcoinRpc

interface LockedHtlc {
  claimKey: HtlcSigner
  refundKey: HtlcSigner
  preimage: Uint8Array
  deadline: number
  witnessScript: Uint8Array
  outpoint: HtlcOutpoint
}

/** HTLCs locked in one funding transaction, by name. */
let htlcs: Record<'claimed' | 'refunded' | 'size31' | 'size33', LockedHtlc>
let lockTxid: string

function newHtlc(deadline: number, preimage: Uint8Array = Uint8Array.from(randomBytes(32))) {
  const claimKey = ECPair.makeRandom()
  const refundKey = ECPair.makeRandom()
  const witnessScript = htlcScript({
    // hash160 directly, so wrong-size preimages can be committed to: only OP_SIZE stops them.
    hash160: bitcoin.crypto.hash160(preimage),
    claimPubkey: claimKey.publicKey,
    refundPubkey: refundKey.publicKey,
    deadline,
  })
  return { claimKey, refundKey, preimage, deadline, witnessScript }
}

test.before(async () => {
  await node.ready()
  rpc = new BitcoinRpc({ url: node.rpcUrl, auth: { user: node.rpcUser, password: node.rpcPassword } })

  const funder = ECPair.makeRandom()
  const funderScript = bitcoin.payments.p2wpkh({ pubkey: funder.publicKey }).output as Uint8Array
  const [blockHash] = await node.mine(1, bitcoin.address.fromOutputScript(funderScript, regtest))
  await node.mine(100) // coinbase maturity
  const coinbase = (await rpc.getBlock(blockHash as string)).txs[0]
  if (coinbase === undefined) throw new Error('block without coinbase')
  const coinbaseTx = bitcoin.Transaction.fromHex(coinbase.hex)
  const vout = coinbaseTx.outs.findIndex((out) => hex(out.script) === hex(funderScript))
  const value = coinbaseTx.outs[vout]?.value ?? 0n

  const { medianTime } = await rpc.getBlockchainInfo()
  const unlocked = {
    claimed: newHtlc(medianTime + 30 * 86_400),
    refunded: newHtlc(medianTime + 3_600),
    size31: newHtlc(medianTime + 30 * 86_400, Uint8Array.from(randomBytes(31))),
    size33: newHtlc(medianTime + 30 * 86_400, Uint8Array.from(randomBytes(33))),
  }
  const entries = Object.entries(unlocked)
  const lock = spendP2wpkh(
    { txid: coinbase.txid, vout, value, key: funder },
    entries.map(([, h]) => ({ script: htlcOutput(h.witnessScript, regtest).scriptPubKey, value: AMOUNT })),
  )
  lockTxid = await rpc.sendRawTransaction(lock.hex)
  htlcs = Object.fromEntries(
    entries.map(([name, h], i) => [name, { ...h, outpoint: { txid: lockTxid, vout: i, value: AMOUNT } }]),
  ) as typeof htlcs
})

test.after.always(async () => {
  await node.close()
})

const spendParams = (htlc: LockedHtlc, feeRate = 2n) => ({
  htlcOutpoint: htlc.outpoint,
  witnessScript: htlc.witnessScript,
  destination: randomP2wpkhScript(),
  feeRate,
  network: regtest,
})

/** A claim that skips buildClaimTx's checks, to show the node itself refuses it. */
const uncheckedClaim = (htlc: LockedHtlc, preimage: Uint8Array, signer: HtlcSigner = htlc.claimKey) =>
  buildHtlcSpendTx({
    htlcOutpoint: htlc.outpoint,
    witnessScript: htlc.witnessScript,
    outputScript: randomP2wpkhScript(),
    fee: 1_000n,
    lockTime: 0,
    sequence: RBF_SEQUENCE,
    signer,
    witness: (sig) => [sig, preimage, htlc.witnessScript],
  }).hex

/** The node's refusal of `txHex` as `code reason`, e.g. '-26 non-final'. */
async function rejection(t: { throwsAsync: (p: Promise<unknown>) => Promise<unknown> }, txHex: string) {
  const error = await t.throwsAsync(rpc.sendRawTransaction(txHex))
  if (!isSwarmswapError(error, 'TX_REJECTED')) return `not TX_REJECTED: ${String(error)}`
  return `${String(error.details.rpcCode)} ${String(error.details.reason)}`
}

test.serial('the lock passes the audit against the chain', async (t) => {
  const lockTx = await rpc.getRawTransaction(lockTxid)
  t.true(lockTx.confirmations >= 1)
  const htlc = htlcs.claimed
  const audited = auditHtlcOutput(
    { txHex: lockTx.hex, confirmations: lockTx.confirmations },
    {
      hashlock: sha256Hashlock(htlc.preimage),
      claimPubkey: htlc.claimKey.publicKey,
      refundPubkey: htlc.refundKey.publicKey,
      deadline: htlc.deadline,
      amount: AMOUNT,
      minConfirmations: 1,
      network: regtest,
    },
  )
  t.is(audited.vout, htlc.outpoint.vout)
  const utxo = await rpc.getTxOut(lockTxid, audited.vout)
  t.is(utxo?.value, AMOUNT)
  t.is(utxo?.scriptPubKeyHex, hex(htlcOutput(htlc.witnessScript, regtest).scriptPubKey))
})

test.serial('a claim with a wrong preimage is rejected', async (t) => {
  const refusal = await rejection(t, uncheckedClaim(htlcs.claimed, Uint8Array.from(randomBytes(32))))
  t.regex(refusal, /^-26 .*OP_EQUALVERIFY/)
})

for (const name of ['size31', 'size33'] as const) {
  test.serial(
    `a ${name.slice(4)}-byte preimage is rejected although the script commits to its hash`,
    async (t) => {
      const htlc = htlcs[name]
      t.is(htlc.preimage.length, Number(name.slice(4)))
      // The size check sends it to the refund branch, whose locktime it does not meet.
      t.regex(await rejection(t, uncheckedClaim(htlc, htlc.preimage)), /^-26 .*Locktime/)
    },
  )
}

test.serial('a claim signed by anyone but the claim key holder is rejected', async (t) => {
  const htlc = htlcs.claimed
  for (const signer of [htlc.refundKey, ECPair.makeRandom()]) {
    t.regex(await rejection(t, uncheckedClaim(htlc, htlc.preimage, signer)), /^-26 .*false\/empty top stack/)
  }
})

test.serial('the claim is accepted and its preimage is learned from the chain', async (t) => {
  const htlc = htlcs.claimed
  const claim = buildClaimTx({ ...spendParams(htlc), preimage: htlc.preimage, claimKey: htlc.claimKey })
  t.is(await rpc.sendRawTransaction(claim.hex), claim.txid)
  const onChain = await rpc.getRawTransaction(claim.txid)
  t.true(onChain.confirmations >= 1)
  const learned = extractPreimage({
    spendingTxHex: onChain.hex,
    hashlock: sha256Hashlock(htlc.preimage),
    htlcOutpoint: htlc.outpoint,
  })
  t.is(hex(learned ?? new Uint8Array()), hex(htlc.preimage))
  t.is(await rpc.getTxOut(htlc.outpoint.txid, htlc.outpoint.vout), null)
})

test.serial('a second claim of a claimed HTLC is rejected', async (t) => {
  const htlc = htlcs.claimed
  const again = buildClaimTx({ ...spendParams(htlc, 5n), preimage: htlc.preimage, claimKey: htlc.claimKey })
  t.regex(await rejection(t, again.hex), /^-25 bad-txns-inputs-missingorspent/)
})

test.serial('refund: rejected before the deadline, accepted after it, and no claim after it', async (t) => {
  const htlc = htlcs.refunded
  const refund = buildRefundTx({ ...spendParams(htlc), refundKey: htlc.refundKey })
  t.is(await rejection(t, refund.hex), '-26 non-final')

  await node.advanceTimeTo(htlc.deadline)
  // Final now, but its nLockTime is below the script's deadline: CLTV refuses it.
  const early = buildHtlcSpendTx({
    htlcOutpoint: htlc.outpoint,
    witnessScript: htlc.witnessScript,
    outputScript: randomP2wpkhScript(),
    fee: 1_000n,
    lockTime: htlc.deadline - 1,
    sequence: RBF_SEQUENCE,
    signer: htlc.refundKey,
    witness: (sig) => [sig, new Uint8Array(0), htlc.witnessScript],
  })
  t.regex(await rejection(t, early.hex), /^-26 .*Locktime/)

  t.is(await rpc.sendRawTransaction(refund.hex), refund.txid)
  t.true((await rpc.getRawTransaction(refund.txid)).confirmations >= 1)
  t.is(extractPreimage({ spendingTxHex: refund.hex, hashlock: sha256Hashlock(htlc.preimage) }), null)

  const lateClaim = buildClaimTx({ ...spendParams(htlc), preimage: htlc.preimage, claimKey: htlc.claimKey })
  t.regex(await rejection(t, lateClaim.hex), /^-25 bad-txns-inputs-missingorspent/)
})
