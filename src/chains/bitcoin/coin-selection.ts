/**
 * Coin selection for a P2WPKH wallet, as a pure function. First branch-and-bound (Bitcoin Core's BnB,
 * after Murch's thesis) looks for a changeless input set whose surplus over the target is smaller than
 * what a change output would cost; failing that, largest-first adds the biggest coins until the payment
 * and fee are covered and returns the rest as change. A change output below the dust limit is never
 * made: that remainder goes to the fee instead.
 */
import { SwarmswapError } from '../../errors.js'
import {
  dustLimit,
  feeFor,
  outputWeight,
  P2WPKH_INPUT_WEIGHT,
  p2wpkhTxVsize,
  p2wpkhTxWeight,
} from './fees.js'

/** A P2WPKH coin that may be spent. */
export interface SelectableCoin {
  txid: string
  vout: number
  value: bigint
}

export interface SelectionRequest<C extends SelectableCoin> {
  /** Spendable coins, all P2WPKH (68 vB each as a low-R input). */
  coins: readonly C[]
  /** What the transaction pays, in order; each value > 0. */
  outputs: readonly { script: Uint8Array; value: bigint }[]
  /** sat/vB, >= 1. */
  feeRate: bigint
  /** Script a change output would pay to (its length sets the change cost, its type the dust limit). */
  changeScript: Uint8Array
}

export interface Selection<C extends SelectableCoin> {
  inputs: C[]
  /** Change amount; 0n means no change output. */
  change: bigint
  /** inputs - outputs - change: what the miner gets. At least feeRate x vsize. */
  fee: bigint
  /** Virtual size of the transaction (with the change output when there is one). */
  vsize: number
  algorithm: 'branch-and-bound' | 'largest-first'
}

/** Depth-first steps branch-and-bound may take before giving up, as in Bitcoin Core. */
const BNB_MAX_TRIES = 100_000

interface Costing {
  outputTotal: bigint
  outputLengths: number[]
  changeLength: number
  feeRate: bigint
}

/** Fee of a transaction with `inputCount` inputs, with or without the change output. */
function feeOf(costing: Costing, inputCount: number, withChange: boolean): { fee: bigint; vsize: number } {
  const lengths = withChange ? [...costing.outputLengths, costing.changeLength] : costing.outputLengths
  const vsize = p2wpkhTxVsize(inputCount, lengths)
  return { fee: feeFor(vsize, costing.feeRate), vsize }
}

/**
 * Branch-and-bound over coins sorted by effective value, counted in quarter-sats (value x 4 minus
 * feeRate x input weight) so fractional input fees stay integers. A candidate is checked against the
 * exact fee of the whole transaction; the one with the least surplus (first found on a tie) wins, and
 * an exact match ends the search.
 */
function branchAndBound<C extends SelectableCoin>(coins: C[], costing: Costing): Selection<C> | undefined {
  const { feeRate } = costing
  const effective = coins.map((coin) => 4n * coin.value - feeRate * BigInt(P2WPKH_INPUT_WEIGHT))
  // Outputs plus the fee of everything but the inputs, in quarter-sats (exact weight, no rounding); the
  // rounding to whole vbytes is left to the exact check of each candidate.
  const target = 4n * costing.outputTotal + feeRate * BigInt(p2wpkhTxWeight(0, costing.outputLengths))
  // A surplus up to what a change output costs now plus what spending it later costs goes to the fee.
  const costOfChange = feeFor(
    Math.ceil((outputWeight(costing.changeLength) + P2WPKH_INPUT_WEIGHT) / 4),
    feeRate,
  )
  // Rounding the weight up to whole vbytes can add up to 3 WU of fee, so allow that much slack above.
  const upperBound = target + 4n * costOfChange + 3n * feeRate
  const remainingAfter: bigint[] = []
  for (let i = effective.length - 1, sum = 0n; i >= 0; sum += effective[i] as bigint, i--)
    remainingAfter[i] = sum

  let best: { picked: number[]; excess: bigint } | undefined
  const picked: number[] = []
  let value = 0n
  let valueSats = 0n
  let tries = 0

  const explore = (index: number): void => {
    if (++tries > BNB_MAX_TRIES || best?.excess === 0n) return
    if (value >= target) {
      const excess = valueSats - costing.outputTotal - feeOf(costing, picked.length, false).fee
      if (excess >= 0n && excess <= costOfChange && (best === undefined || excess < best.excess)) {
        best = { picked: [...picked], excess }
      }
      return
    }
    const coin = coins[index]
    const coinEffective = effective[index]
    const rest = remainingAfter[index]
    if (coin === undefined || coinEffective === undefined || rest === undefined) return
    if (value + coinEffective + rest < target) return
    picked.push(index)
    value += coinEffective
    valueSats += coin.value
    if (value <= upperBound) explore(index + 1)
    picked.pop()
    value -= coinEffective
    valueSats -= coin.value
    explore(index + 1)
  }
  explore(0)

  if (best === undefined) return undefined
  const inputs = best.picked.map((i) => coins[i] as C)
  const { fee, vsize } = feeOf(costing, inputs.length, false)
  return { inputs, change: 0n, fee: fee + best.excess, vsize, algorithm: 'branch-and-bound' }
}

/** Biggest coins first until outputs and fee are covered; change unless it would be dust. */
function largestFirst<C extends SelectableCoin>(
  coins: C[],
  costing: Costing,
  changeDust: bigint,
): Selection<C> | undefined {
  let total = 0n
  for (let n = 1; n <= coins.length; n++) {
    total += (coins[n - 1] as C).value
    if (total < costing.outputTotal + feeOf(costing, n, false).fee) continue
    const inputs = coins.slice(0, n)
    const withChange = feeOf(costing, n, true)
    const change = total - costing.outputTotal - withChange.fee
    if (change >= changeDust)
      return { inputs, change, fee: withChange.fee, vsize: withChange.vsize, algorithm: 'largest-first' }
    const { vsize } = feeOf(costing, n, false)
    return { inputs, change: 0n, fee: total - costing.outputTotal, vsize, algorithm: 'largest-first' }
  }
  return undefined
}

/**
 * Picks inputs for `request`. Coins worth less than their own input fee are never picked. Throws
 * INSUFFICIENT_FUNDS with details `{ needed, available }` (bigint sats): `available` is the sum of the
 * coins worth spending at this fee rate, `needed` the outputs plus the fee of a changeless transaction
 * spending all of them (at least one input), i.e. the least those coins would have to add up to.
 */
export function selectCoins<C extends SelectableCoin>(request: SelectionRequest<C>): Selection<C> {
  if (request.outputs.length === 0)
    throw new SwarmswapError('INVALID_ARGUMENT', 'a transaction needs an output')
  if (request.feeRate < 1n)
    throw new SwarmswapError('INVALID_ARGUMENT', 'the fee rate must be at least 1 sat/vB')
  if (request.outputs.some((o) => o.value <= 0n)) {
    throw new SwarmswapError('INVALID_ARGUMENT', 'output amounts must be positive')
  }
  const costing: Costing = {
    outputTotal: request.outputs.reduce((sum, o) => sum + o.value, 0n),
    outputLengths: request.outputs.map((o) => o.script.length),
    changeLength: request.changeScript.length,
    feeRate: request.feeRate,
  }
  const economic = request.coins
    .filter((coin) => 4n * coin.value > request.feeRate * BigInt(P2WPKH_INPUT_WEIGHT))
    .sort((a, b) => (a.value === b.value ? 0 : a.value > b.value ? -1 : 1))

  const selection =
    branchAndBound(economic, costing) ?? largestFirst(economic, costing, dustLimit(request.changeScript))
  if (selection !== undefined) return selection

  const available = economic.reduce((sum, coin) => sum + coin.value, 0n)
  const needed = costing.outputTotal + feeOf(costing, Math.max(1, economic.length), false).fee
  throw new SwarmswapError('INSUFFICIENT_FUNDS', `need ${needed} sats, have ${available}`, {
    details: { needed, available },
  })
}
