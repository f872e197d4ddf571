/**
 * Exact arithmetic on integer price ratios (`priceNum / priceDen`, both positive) for the order book:
 * prices are compared by cross-multiplication and grouped by their reduced fraction, never divided.
 */
export interface Price {
  priceNum: bigint
  priceDen: bigint
}

/** The price in lowest terms, so 2/4 and 1/2 name the same depth level. */
export function reducePrice(price: Price): Price {
  const divisor = gcd(price.priceNum, price.priceDen)
  return { priceNum: price.priceNum / divisor, priceDen: price.priceDen / divisor }
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a
  let y = b < 0n ? -b : b
  while (y !== 0n) [x, y] = [y, x % y]
  return x
}

/** Negative if `a` is the lower price, 0 if equal (2/4 == 1/2), positive if higher. */
export function comparePrice(a: Price, b: Price): number {
  // Most orders of a market share one denominator (the base unit scale): no products needed then.
  if (a.priceDen === b.priceDen) return a.priceNum < b.priceNum ? -1 : a.priceNum > b.priceNum ? 1 : 0
  const left = a.priceNum * b.priceDen
  const right = b.priceNum * a.priceDen
  return left < right ? -1 : left > right ? 1 : 0
}
