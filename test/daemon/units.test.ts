import test from 'ava'
import { priceRatio, priceText, unitsOf } from '../../src/daemon/units.js'
import { isSwarmswapError } from '../../src/errors.js'
import { PRICE_INVALID, PRICE_TEXT_ONLY, PRICE_VALID, UNITS_INVALID, UNITS_VALID } from './fixtures/units.js'

for (const { text, decimals, units } of UNITS_VALID) {
  test(`unitsOf(${JSON.stringify(text)}, ${decimals}) = ${units}`, (t) => {
    t.is(unitsOf(text, decimals), BigInt(units))
  })
}

for (const { text, decimals } of UNITS_INVALID) {
  test(`unitsOf(${JSON.stringify(text)}, ${decimals}) is refused`, (t) => {
    const error = t.throws(() => unitsOf(text, decimals))
    t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'))
  })
}

for (const { price, base, quote, priceNum, priceDen, shown } of PRICE_VALID) {
  test(`price ${price} with decimals ${base}/${quote} is ${priceNum}/${priceDen} and shows as ${shown}`, (t) => {
    const ratio = priceRatio(price, base, quote)
    t.deepEqual(ratio, { priceNum: BigInt(priceNum), priceDen: BigInt(priceDen) })
    t.is(priceText(ratio.priceNum, ratio.priceDen, base, quote), shown)
  })
}

for (const price of PRICE_INVALID) {
  test(`price ${JSON.stringify(price)} is refused`, (t) => {
    const error = t.throws(() => priceRatio(price, 8, 18))
    t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'))
  })
}

for (const { priceNum, priceDen, base, quote, shown } of PRICE_TEXT_ONLY) {
  test(`the ratio ${priceNum}/${priceDen} (decimals ${base}/${quote}) shows as ${shown}`, (t) => {
    t.is(priceText(BigInt(priceNum), BigInt(priceDen), base, quote), shown)
  })
}
