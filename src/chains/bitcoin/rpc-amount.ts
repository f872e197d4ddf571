import { SwarmswapError } from '../../errors.js'

const SATS_PER_BTC = 100_000_000n
const BTC_DECIMAL = /^(-?)(\d+)(?:\.(\d{1,8}))?$/

/**
 * Exact BTC decimal text (as Bitcoin Core writes amounts, e.g. "0.00010000") to satoshis. At most 8
 * decimals, no exponent, no float anywhere: anything else is BAD_DATA, because it comes from a node.
 */
export function btcToSats(text: string): bigint {
  const match = BTC_DECIMAL.exec(text)
  if (match === null) {
    throw new SwarmswapError('BAD_DATA', `not a BTC amount with at most 8 decimals: ${JSON.stringify(text)}`)
  }
  const [, sign, whole = '0', fraction = ''] = match
  const sats = BigInt(whole) * SATS_PER_BTC + BigInt(fraction.padEnd(8, '0'))
  return sign === '-' ? -sats : sats
}

/** Satoshis to Core's amount text with exactly 8 decimals ("0.00010000"). */
export function satsToBtc(sats: bigint): string {
  const abs = sats < 0n ? -sats : sats
  return `${sats < 0n ? '-' : ''}${abs / SATS_PER_BTC}.${(abs % SATS_PER_BTC).toString().padStart(8, '0')}`
}
