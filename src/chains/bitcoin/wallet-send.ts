/**
 * Validation of a send request and signing of the transaction that pays it. Pure: no node access.
 */
import { randomInt } from 'node:crypto'
import { z } from 'zod'
import { SwarmswapError } from '../../errors.js'
import type { Selection } from './coin-selection.js'
import { bitcoin } from './ecc.js'
import { dustLimit } from './fees.js'
import { RBF_SEQUENCE } from './htlc-tx.js'
import type { Bip84Account } from './wallet-keys.js'
import type { WalletCoin } from './wallet-ledger.js'

/** 21 million BTC in sats: no valid amount is larger. */
const MAX_MONEY = 2_100_000_000_000_000n

/** One payment: to an address of the wallet's network, or to a raw scriptPubKey (hex or bytes). */
export type SendOutput =
  | { address: string; amount: bigint }
  | { scriptPubKey: string | Uint8Array; amount: bigint }

export interface SendRequest {
  outputs: SendOutput[]
  /** sat/vB; default: the node's estimate (see BitcoinWallet.feeRate). */
  feeRate?: bigint
  /** Where change goes; default: a fresh change address of this wallet. */
  changeAddress?: string
  /** Spend only coins reserved under this tag (see BitcoinWallet.reserve); default: only unreserved coins. */
  reservation?: string
}

export interface PaymentOutput {
  vout: number
  /** Hex. */
  scriptPubKey: string
  /** Null for scripts that have no address form (e.g. OP_RETURN). */
  address: string | null
  amount: bigint
  change: boolean
}

/** A signed transaction, not yet broadcast. */
export interface SignedSend {
  txid: string
  hex: string
  /** Sats paid to miners: inputs minus outputs. */
  fee: bigint
  vsize: number
  inputs: { txid: string; vout: number; value: bigint }[]
  outputs: PaymentOutput[]
}

const amountSchema = z.bigint().positive().max(MAX_MONEY)
const sendRequestSchema = z.object({
  outputs: z
    .array(
      z.union([
        z.strictObject({ address: z.string().min(1), amount: amountSchema }),
        z.strictObject({
          scriptPubKey: z.union([z.string().regex(/^([0-9a-fA-F]{2})+$/), z.instanceof(Uint8Array)]),
          amount: amountSchema,
        }),
      ]),
    )
    .min(1),
  feeRate: z.bigint().positive().optional(),
  changeAddress: z.string().min(1).optional(),
  reservation: z.string().min(1).optional(),
})

/** The scriptPubKey an address of `network` pays to; INVALID_ARGUMENT for any other network or garbage. */
export function addressToScript(address: string, network: bitcoin.networks.Network): Uint8Array {
  try {
    return bitcoin.address.toOutputScript(address, network)
  } catch (cause) {
    throw new SwarmswapError('INVALID_ARGUMENT', `not an address of this network: ${address}`, { cause })
  }
}

function scriptToAddress(script: Uint8Array, network: bitcoin.networks.Network): string | null {
  try {
    return bitcoin.address.fromOutputScript(script, network)
  } catch {
    return null
  }
}

export interface ValidatedSend {
  outputs: { script: Uint8Array; value: bigint }[]
  feeRate: bigint | undefined
  changeScript: Uint8Array | undefined
  reservation: string | undefined
}

/** Checks a send request (types, networks, dust, totals); INVALID_ARGUMENT on the first problem. */
export function validateSendRequest(request: unknown, network: bitcoin.networks.Network): ValidatedSend {
  const parsed = sendRequestSchema.safeParse(request)
  if (!parsed.success) {
    throw new SwarmswapError('INVALID_ARGUMENT', `invalid send request: ${z.prettifyError(parsed.error)}`, {
      details: { issues: parsed.error.issues },
    })
  }
  const outputs = parsed.data.outputs.map((output) => {
    const script =
      'address' in output
        ? addressToScript(output.address, network)
        : typeof output.scriptPubKey === 'string'
          ? Uint8Array.from(Buffer.from(output.scriptPubKey, 'hex'))
          : output.scriptPubKey
    const dust = dustLimit(script)
    if (output.amount < dust) {
      throw new SwarmswapError(
        'INVALID_ARGUMENT',
        `amount ${output.amount} is below the dust limit ${dust}`,
        {
          details: { amount: output.amount, dustLimit: dust },
        },
      )
    }
    return { script, value: output.amount }
  })
  if (outputs.reduce((sum, o) => sum + o.value, 0n) > MAX_MONEY) {
    throw new SwarmswapError('INVALID_ARGUMENT', 'outputs add up to more than 21 million BTC')
  }
  const { changeAddress, feeRate, reservation } = parsed.data
  return {
    outputs,
    feeRate,
    changeScript: changeAddress === undefined ? undefined : addressToScript(changeAddress, network),
    reservation,
  }
}

/**
 * Builds and signs (low R) the transaction for a coin selection: payments in the caller's order with the
 * change output, if any, at a random position (so it cannot be told apart by place); every input signals
 * RBF; nLockTime is the current height (anti fee sniping, as Bitcoin Core does).
 */
export function signSend(params: {
  account: Bip84Account
  selection: Selection<WalletCoin>
  outputs: { script: Uint8Array; value: bigint }[]
  changeScript: Uint8Array
  lockTime: number
}): SignedSend {
  const { account, selection } = params
  const network = account.network
  const outputs = params.outputs.map((o) => ({ ...o, change: false }))
  if (selection.change > 0n) {
    outputs.splice(randomInt(outputs.length + 1), 0, {
      script: params.changeScript,
      value: selection.change,
      change: true,
    })
  }
  const psbt = new bitcoin.Psbt({ network })
  psbt.setLocktime(params.lockTime)
  for (const coin of selection.inputs) {
    psbt.addInput({
      hash: coin.txid,
      index: coin.vout,
      sequence: RBF_SEQUENCE,
      witnessUtxo: { script: coin.owner.script, value: coin.value },
    })
  }
  for (const output of outputs) psbt.addOutput({ script: output.script, value: output.value })
  selection.inputs.forEach((coin, i) => {
    psbt.signInput(i, account.signer(coin.owner.branch, coin.owner.index))
  })
  psbt.finalizeAllInputs()
  // The wallet's own fee-rate cap applies; bitcoinjs' fixed 5000 sat/vB check would only duplicate it.
  const tx = psbt.extractTransaction(true)
  return {
    txid: tx.getId(),
    hex: tx.toHex(),
    fee: selection.fee,
    vsize: tx.virtualSize(),
    inputs: selection.inputs.map(({ txid, vout, value }) => ({ txid, vout, value })),
    outputs: outputs.map((o, vout) => ({
      vout,
      scriptPubKey: Buffer.from(o.script).toString('hex'),
      address: scriptToAddress(o.script, network),
      amount: o.value,
      change: o.change,
    })),
  }
}
