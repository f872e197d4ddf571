import { readFileSync } from 'node:fs'
import test from 'ava'
import { InvalidArgumentError } from 'commander'
import {
  integerIn,
  parseAmount,
  parseAsset,
  parseChain,
  parseId,
  parseNetwork,
  parsePrice,
  parseSide,
} from '../../src/cli/args.js'

interface Fixtures {
  valid: { parser: string; input: string; output: string | number }[]
  invalid: { parser: string; input: string; error: string }[]
}

const fixtures = JSON.parse(
  readFileSync(new URL('../fixtures/cli/args.json', import.meta.url), 'utf8'),
) as Fixtures

const parsers: Record<string, (text: string) => unknown> = {
  asset: parseAsset,
  amount: parseAmount,
  price: parsePrice,
  side: parseSide,
  chain: parseChain,
  id: parseId,
  network: parseNetwork,
  depth: integerIn(1, 1000),
}

function parser(name: string): (text: string) => unknown {
  const parse = parsers[name]
  if (parse === undefined) throw new Error(`no parser ${name}`)
  return parse
}

for (const { parser: name, input, output } of fixtures.valid) {
  test(`${name} accepts ${JSON.stringify(input)}`, (t) => {
    t.is(parser(name)(input), output)
  })
}

for (const { parser: name, input, error } of fixtures.invalid) {
  test(`${name} refuses ${JSON.stringify(input)}`, (t) => {
    const thrown = t.throws(() => parser(name)(input), { instanceOf: InvalidArgumentError })
    t.true(thrown.message.startsWith(error), thrown.message)
  })
}

test('amounts stay strings however many digits they have (never a JS number)', (t) => {
  const wei = '115792089237316195423570985008687907853269984665640564039457.584007913129639935'
  t.is(parseAmount(wei), wei)
})
