import { SwarmswapError } from '../errors.js'
import { formatAmount, parseAmount } from '../money.js'

/**
 * Exact conversions between what people type (decimal whole units: "0.5" BTC, a price of "20" ETH per
 * BTC) and what orders hold (base units, and a price as the integer ratio priceNum/priceDen of quote base
 * units per base base unit). No floats anywhere.
 */

/** Whole units ("0.5", ".5", "2.") to base units; more fraction digits than `decimals` is INVALID_ARGUMENT. */
export function unitsOf(text: string, decimals: number): bigint {
  // parseAmount wants digits on both sides of a point; people also write ".5" and "2.".
  const normalized = /^\.\d/.test(text) ? `0${text}` : /^\d+\.$/.test(text) ? text.slice(0, -1) : text
  return parseAmount(normalized, decimals)
}

/** A decimal price (quote whole units per base whole unit) as a reduced ratio of base units. */
export function priceRatio(
  price: string,
  baseDecimals: number,
  quoteDecimals: number,
): { priceNum: bigint; priceDen: bigint } {
  const match = /^(\d*)(?:\.(\d*))?$/.exec(price)
  if (match === null || price === '' || price === '.') {
    throw new SwarmswapError('INVALID_ARGUMENT', `not a decimal price: ${JSON.stringify(price)}`)
  }
  const [, whole = '', fraction = ''] = match
  const digits = BigInt(`${whole}${fraction}` || '0')
  if (digits === 0n) throw new SwarmswapError('INVALID_ARGUMENT', 'the price must be above 0')
  return reduce(digits * 10n ** BigInt(quoteDecimals), 10n ** BigInt(fraction.length + baseDecimals))
}

/** Most fraction digits shown of a price that has no finite decimal form (a foreign order's 1/3). */
const MAX_PRICE_DECIMALS = 36

/**
 * The price of a base-unit ratio as decimal whole units: exact when it has a finite decimal form (every
 * price set through `priceRatio` does), else cut (not rounded) after MAX_PRICE_DECIMALS digits.
 */
export function priceText(
  priceNum: bigint,
  priceDen: bigint,
  baseDecimals: number,
  quoteDecimals: number,
): string {
  const { priceNum: n, priceDen: d } = reduce(
    priceNum * 10n ** BigInt(baseDecimals),
    priceDen * 10n ** BigInt(quoteDecimals),
  )
  let text = (n / d).toString()
  let rest = n % d
  let fraction = ''
  while (rest !== 0n && fraction.length < MAX_PRICE_DECIMALS) {
    rest *= 10n
    fraction += (rest / d).toString()
    rest %= d
  }
  if (fraction !== '') text += `.${fraction}`
  return text
}

export function amountView(asset: string, units: bigint, decimals: number) {
  return { asset, amount: units.toString(), formatted: formatAmount(units, decimals) }
}

function reduce(num: bigint, den: bigint): { priceNum: bigint; priceDen: bigint } {
  let a = num
  let b = den
  while (b !== 0n) [a, b] = [b, a % b]
  return { priceNum: num / a, priceDen: den / a }
}
