import { InvalidArgumentError } from 'commander'
import { assetId, decimalString, hex32, marketView } from '../api/schemas.js'

/**
 * Parsers of what people type, for commander's `.argument()` / `.option()`: each returns the value in the
 * API's form or throws InvalidArgumentError with a message that says what was expected. Amounts and prices
 * stay decimal strings (never a JS number); only counts and seconds become numbers.
 */

/** 'btc', 'ETH', 'erc20:0xAbC…' → 'BTC', 'ETH', 'ERC20:0xabc…'. */
export function parseAsset(text: string): string {
  const trimmed = text.trim()
  const upper = trimmed.toUpperCase()
  const candidate = upper.startsWith('ERC20:') ? `ERC20:${trimmed.slice(6).toLowerCase()}` : upper
  if (!assetId.safeParse(candidate).success) {
    throw new InvalidArgumentError('expected BTC, ETH or ERC20:0x<40 hex digits>')
  }
  return candidate
}

/** A decimal amount of whole units, greater than zero ("0.5", "12", ".25"). */
export function parseAmount(text: string): string {
  const value = parseDecimal(text)
  if (!/[1-9]/.test(value)) throw new InvalidArgumentError('must be greater than 0')
  return value
}

/** A price: quote whole units per one base whole unit, greater than zero ("20", "0.05"). */
export const parsePrice = parseAmount

function parseDecimal(text: string): string {
  const value = text.trim()
  if (!decimalString.safeParse(value).success) {
    throw new InvalidArgumentError('expected a decimal number such as 0.5 (no sign, exponent or separators)')
  }
  return value
}

export function parseSide(text: string): 'sell' | 'buy' {
  const value = text.trim().toLowerCase()
  if (value !== 'sell' && value !== 'buy') throw new InvalidArgumentError('expected sell or buy')
  return value
}

/** 'bitcoin' or 'evm'; 'btc' and 'eth' are accepted as their chains. */
export function parseChain(text: string): 'bitcoin' | 'evm' {
  const value = text.trim().toLowerCase()
  if (value === 'bitcoin' || value === 'btc') return 'bitcoin'
  if (value === 'evm' || value === 'eth') return 'evm'
  throw new InvalidArgumentError('expected bitcoin or evm')
}

/** An order or swap id: 64 hex digits, in the API's lower case. */
export function parseId(text: string): string {
  const value = text.trim().toLowerCase()
  if (!hex32.safeParse(value).success) throw new InvalidArgumentError('expected an id of 64 hex digits')
  return value
}

/** An integer option within [min, max] (a count or seconds: small numbers, never money). */
export function integerIn(min: number, max: number): (text: string) => number {
  return (text) => {
    const value = text.trim()
    if (!/^\d{1,15}$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`)
    }
    return Number(value)
  }
}

/** The networks a daemon runs on, as the API names them. */
export const NETWORK_NAMES = marketView.shape.network.options
export type NetworkName = (typeof NETWORK_NAMES)[number]

export function parseNetwork(text: string): NetworkName {
  const value = text.trim().toLowerCase()
  const network = NETWORK_NAMES.find((name) => name === value)
  if (network === undefined) throw new InvalidArgumentError(`expected one of ${NETWORK_NAMES.join(', ')}`)
  return network
}
