import { bitcoin, type ECPairInterface } from '../../src/chains/bitcoin/ecc.js'
import { dustLimit, feeFor, p2wpkhTxVsize } from '../../src/chains/bitcoin/fees.js'

/** A P2WPKH coin a test controls. */
export interface OwnedCoin {
  txid: string
  vout: number
  value: bigint
  key: ECPairInterface
}

/**
 * Spends one P2WPKH coin to `outputs`, the rest (minus a fee at `feeRate`) back to the coin's own script.
 * The smallest signed transaction a test needs to put coins into an HTLC, without a wallet.
 */
export function spendP2wpkh(
  coin: OwnedCoin,
  outputs: { script: Uint8Array; value: bigint }[],
  feeRate = 2n,
): { hex: string; txid: string; changeVout: number; change: bigint } {
  const ownScript = bitcoin.payments.p2wpkh({ pubkey: coin.key.publicKey }).output as Uint8Array
  const fee = feeFor(p2wpkhTxVsize(1, [...outputs.map((o) => o.script.length), ownScript.length]), feeRate)
  const change = coin.value - outputs.reduce((sum, o) => sum + o.value, 0n) - fee
  if (change < dustLimit(ownScript)) throw new Error(`coin of ${coin.value} sats cannot pay these outputs`)

  const tx = new bitcoin.Transaction()
  tx.version = 2
  tx.addInput(Buffer.from(coin.txid, 'hex').reverse(), coin.vout)
  for (const output of outputs) tx.addOutput(output.script, output.value)
  const changeVout = tx.addOutput(ownScript, change)
  // BIP143: a P2WPKH input signs with the P2PKH script of its key hash as script code.
  const scriptCode = bitcoin.payments.p2pkh({ pubkey: coin.key.publicKey }).output as Uint8Array
  const sighash = tx.hashForWitnessV0(0, scriptCode, coin.value, bitcoin.Transaction.SIGHASH_ALL)
  const signature = bitcoin.script.signature.encode(
    coin.key.sign(sighash, true),
    bitcoin.Transaction.SIGHASH_ALL,
  )
  tx.setWitness(0, [signature, coin.key.publicKey])
  return { hex: tx.toHex(), txid: tx.getId(), changeVout, change }
}
