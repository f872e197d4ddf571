import type { Block, Chain, ChainEntry, Network, Script, TX } from 'bcoin'
import { LosslessNumber } from 'lossless-json'
import { satsToBtc } from '../src/chains/bitcoin/rpc-amount.js'

/**
 * Bitcoin Core's JSON shapes (TxToUniv, blockheaderToJSON, blockToJSON, ScriptToUniv) built from bcoin
 * objects. BTC amounts become LosslessNumbers with exactly 8 decimals, serialised verbatim as Core does, so no
 * amount ever passes through a float.
 */

/** Core's amount format: a JSON number with 8 decimals, e.g. 0.00010000. */
export function btcAmount(sats: number | bigint): LosslessNumber {
  return new LosslessNumber(satsToBtc(BigInt(sats)))
}

/** Core's `scriptPubKey.type` names by bcoin's script type numbers. */
const CORE_SCRIPT_TYPES: Readonly<Record<number, string>> = {
  0: 'nonstandard',
  1: 'pubkey',
  2: 'pubkeyhash',
  3: 'scripthash',
  4: 'multisig',
  5: 'nulldata',
  128: 'witness_unknown',
  129: 'witness_v0_scripthash',
  130: 'witness_v0_keyhash',
}

export function scriptPubKeyJson(script: Script, network: Network): Record<string, unknown> {
  const address = script.getAddress()
  return {
    asm: script.toASM(),
    hex: script.toJSON(),
    ...(address === null ? {} : { address: address.toString(network) }),
    type: CORE_SCRIPT_TYPES[script.getType()] ?? 'nonstandard',
  }
}

/** Core's TxToUniv with `hex` (getrawtransaction verbose, getblock verbosity 2). */
export function txJson(tx: TX, network: Network): Record<string, unknown> {
  const coinbase = tx.isCoinbase()
  return {
    txid: tx.txid(),
    hash: tx.wtxid(),
    version: tx.version,
    size: tx.getSize(),
    vsize: tx.getVirtualSize(),
    weight: tx.getWeight(),
    locktime: tx.locktime,
    vin: tx.inputs.map((input) => {
      const witness = input.witness.items.length > 0 ? { txinwitness: input.witness.items.map(hex) } : {}
      if (coinbase) return { coinbase: input.script.toJSON(), ...witness, sequence: input.sequence }
      return {
        txid: input.prevout.txid(),
        vout: input.prevout.index,
        scriptSig: { asm: input.script.toASM(), hex: input.script.toJSON() },
        ...witness,
        sequence: input.sequence,
      }
    }),
    vout: tx.outputs.map((output, n) => ({
      value: btcAmount(output.value),
      n,
      scriptPubKey: scriptPubKeyJson(output.script, network),
    })),
    hex: hex(tx.toRaw()),
  }
}

/** Core's blockheaderToJSON. Blocks off the active chain get confirmations -1, as in Core. */
export async function headerJson(
  chain: Chain,
  entry: ChainEntry,
  txCount: number,
): Promise<Record<string, unknown>> {
  const onMainChain = await chain.isMainChain(entry)
  const next = onMainChain ? await chain.getNextHash(entry.hash) : null
  return {
    hash: entry.rhash(),
    confirmations: onMainChain ? chain.height - entry.height + 1 : -1,
    height: entry.height,
    version: entry.version,
    versionHex: (entry.version >>> 0).toString(16).padStart(8, '0'),
    merkleroot: reverseHex(entry.merkleRoot),
    time: entry.time,
    mediantime: await chain.getMedianTime(entry),
    nonce: entry.nonce,
    bits: (entry.bits >>> 0).toString(16).padStart(8, '0'),
    difficulty: difficulty(entry.bits),
    chainwork: entry.chainwork.toString('hex', 64),
    nTx: txCount,
    ...(entry.height > 0 ? { previousblockhash: reverseHex(entry.prevBlock) } : {}),
    ...(next === null ? {} : { nextblockhash: reverseHex(next) }),
  }
}

/** Core's getblock for verbosity 1 (txids) or 2 (tx objects). */
export async function blockJson(
  chain: Chain,
  entry: ChainEntry,
  block: Block,
  verbosity: 1 | 2,
  network: Network,
): Promise<Record<string, unknown>> {
  return {
    ...(await headerJson(chain, entry, block.txs.length)),
    strippedsize: block.getBaseSize(),
    size: block.getSize(),
    weight: block.getWeight(),
    tx: block.txs.map((tx) => (verbosity === 1 ? tx.txid() : txJson(tx, network))),
  }
}

/** Core's GetDifficulty: the genesis target divided by this target (a float, as in Core; not money). */
function difficulty(bits: number): number {
  let shift = (bits >>> 24) & 0xff
  let diff = 0x0000ffff / (bits & 0x00ffffff)
  while (shift < 29) {
    diff *= 256
    shift++
  }
  while (shift > 29) {
    diff /= 256
    shift--
  }
  return diff
}

export function reverseHex(internal: string): string {
  return Buffer.from(internal, 'hex').reverse().toString('hex')
}

function hex(data: Buffer): string {
  return data.toString('hex')
}
