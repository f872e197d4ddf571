/**
 * The swap primitives without the daemon: build a Bitcoin HTLC, audit a lock of it, claim it with the secret,
 * learn the secret back from the claim's witness, build the refund, and key the matching EVM HTLC. Pure: no
 * node is needed (the lock transaction is made up here; on a real chain it comes from your wallet).
 *
 *   node --import tsx examples/embedded-htlc.ts
 *
 * The last line printed is a JSON summary.
 */
import { createHash } from 'node:crypto'
import {
  auditHtlcOutput,
  bitcoin,
  bitcoinNetwork,
  buildClaimTx,
  buildRefundTx,
  decodeHtlcScript,
  ECPair,
  extractPreimage,
  htlcOutput,
  htlcScript,
  sha256Hashlock,
  swapKey,
} from 'swarmswap'

const network = bitcoinNetwork('regtest')
// Fixed keys and secret so the output is the same on every run; use fresh random ones for real swaps.
const key = (label: string) => ECPair.fromPrivateKey(createHash('sha256').update(label).digest(), { network })
const maker = key('maker')
const taker = key('taker')
const secret = createHash('sha256').update('the swap secret').digest()
const hashlock = sha256Hashlock(secret)
const deadline = 1_800_000_000 // unix seconds: the maker may refund from then on
const amount = 100_000n // sats

// 1. The maker locks to this script: the taker claims with the secret, the maker refunds after the deadline.
const witnessScript = htlcScript({
  sha256Hashlock: hashlock,
  claimPubkey: taker.publicKey,
  refundPubkey: maker.publicKey,
  deadline,
})
const lock = htlcOutput(witnessScript, network)
const decoded = decodeHtlcScript(witnessScript)
console.log(`HTLC address     ${lock.address} (${witnessScript.length}-byte script)`)
console.log(`decoded deadline ${decoded?.deadline}`)

// 2. A lock transaction paying the HTLC (made up here: one fake input).
const lockTx = new bitcoin.Transaction()
lockTx.version = 2
lockTx.addInput(Buffer.alloc(32, 1), 0)
lockTx.addOutput(lock.scriptPubKey, amount)

// 3. The taker audits the lock against the terms it agreed to before it locks anything itself.
const audited = auditHtlcOutput(
  { txHex: lockTx.toHex(), confirmations: 1 },
  {
    hashlock,
    claimPubkey: taker.publicKey,
    refundPubkey: maker.publicKey,
    deadline,
    amount,
    minConfirmations: 1,
    network,
  },
)
console.log(`audited lock     ${audited.txid}:${audited.vout} holds ${audited.value} sats`)

// 4. Once the secret is out, the taker claims; anyone watching learns the secret from the claim's witness.
const payTo = (signer: typeof taker) =>
  bitcoin.payments.p2wpkh({ pubkey: signer.publicKey, network }).address ?? ''
const outpoint = { txid: audited.txid, vout: audited.vout, value: audited.value }
const claim = buildClaimTx({
  htlcOutpoint: outpoint,
  witnessScript,
  destination: payTo(taker),
  feeRate: 2n,
  network,
  preimage: secret,
  claimKey: taker,
})
const learned = extractPreimage({ spendingTxHex: claim.hex, hashlock, htlcOutpoint: outpoint })
console.log(`claim tx         ${claim.txid} (${claim.vsize} vB, fee ${claim.fee} sats)`)
console.log(`secret learned   ${learned !== null && Buffer.from(learned).equals(secret)}`)

// 5. Had the taker never claimed, the maker refunds once the deadline has passed (nLockTime = deadline).
const refund = buildRefundTx({
  htlcOutpoint: outpoint,
  witnessScript,
  destination: payTo(maker),
  feeRate: 2n,
  network,
  refundKey: maker,
})
console.log(`refund tx        ${refund.txid} (valid from ${new Date(deadline * 1000).toISOString()})`)

// 6. The EVM leg of the same swap: the contract keys it by a hash of all its terms.
const evmKey = swapKey({
  sender: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  recipient: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
  token: '0x0000000000000000000000000000000000000000',
  amount: 2n * 10n ** 18n,
  hashlock: `0x${Buffer.from(hashlock).toString('hex')}`,
  deadline: BigInt(deadline - 3600),
})
console.log(`EVM swap key     ${evmKey}`)

console.log(
  JSON.stringify({
    address: lock.address,
    lockTxid: audited.txid,
    claimTxid: claim.txid,
    refundTxid: refund.txid,
    refundLockTime: bitcoin.Transaction.fromHex(refund.hex).locktime,
    secretLearned: learned !== null && Buffer.from(learned).equals(secret),
    evmSwapKey: evmKey,
  }),
)
