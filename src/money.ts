import { SwarmswapError } from './errors.js'

/** Decimals of the assets swarmswap knows: amounts in code are integers of the smallest unit. */
export const DECIMALS = { BTC: 8, ETH: 18 } as const

/**
 * Parses a non-negative decimal string ("0.5", "12", "0.00010000") into integer base units with
 * `decimals` places, exactly (no float anywhere). More fraction digits than `decimals`, signs,
 * exponents, spaces or empty parts are refused with INVALID_ARGUMENT.
 */
export function parseAmount(text: string, decimals: number): bigint {
  const pattern = decimals === 0 ? /^(\d+)$/ : new RegExp(`^(\\d+)(?:\\.(\\d{1,${decimals}}))?$`)
  const match = pattern.exec(text)
  if (match === null) {
    throw new SwarmswapError(
      'INVALID_ARGUMENT',
      `not an amount with at most ${decimals} decimals: ${JSON.stringify(text)}`,
      { details: { text, decimals } },
    )
  }
  const [, whole = '0', fraction = ''] = match
  return BigInt(whole) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0')
}

/** Formats integer base units as a decimal string with trailing zeros trimmed ("1.5", "0.0001", "3"). */
export function formatAmount(units: bigint, decimals: number): string {
  const sign = units < 0n ? '-' : ''
  const abs = units < 0n ? -units : units
  const scale = 10n ** BigInt(decimals)
  const fraction = (abs % scale).toString().padStart(decimals, '0').replace(/0+$/, '')
  return `${sign}${abs / scale}${fraction === '' ? '' : `.${fraction}`}`
}
