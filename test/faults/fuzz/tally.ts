import { performance } from 'node:perf_hooks'
import fc from 'fast-check'

/** What one fuzz target group found: inputs tried, inputs that broke a rule, and a few of those. */
export interface FuzzTally {
  inputs: number
  failures: number
  examples: string[]
}

/** Why `input` broke the rules, or null when it was handled as they say. */
export type FuzzRule<T> = (input: T) => string | null

/** A synchronous handler that takes longer than this on one input counts as hanging. */
const HANG_MS = 1000
/** Raw counterexamples kept besides the shrunk one. */
const RAW_EXAMPLES = 2

/**
 * Runs `rule` on `runs` inputs from `arbitrary` and counts every failure, instead of stopping at the first
 * as fc.assert does. When something failed, the same seed runs again under fc.check, whose counterexample
 * fast-check has shrunk; it leads the examples.
 */
export function fuzzSync<T>(
  arbitrary: fc.Arbitrary<T>,
  rule: FuzzRule<T>,
  options: { runs: number; seed: number; show: (input: T) => string },
): FuzzTally {
  const tally: FuzzTally = { inputs: 0, failures: 0, examples: [] }
  const timedRule: FuzzRule<T> = (input) => {
    const started = performance.now()
    const broken = rule(input)
    const took = performance.now() - started
    return broken ?? (took > HANG_MS ? `took ${Math.round(took)} ms` : null)
  }
  fc.assert(
    fc.property(arbitrary, (input) => {
      tally.inputs++
      const broken = timedRule(input)
      if (broken === null) return
      tally.failures++
      if (tally.examples.length < RAW_EXAMPLES) tally.examples.push(`${options.show(input)}: ${broken}`)
    }),
    { numRuns: options.runs, seed: options.seed },
  )
  if (tally.failures > 0) {
    const shrunk = fc.check(
      fc.property(arbitrary, (input) => rule(input) === null),
      { numRuns: options.runs, seed: options.seed },
    )
    const input = shrunk.counterexample?.[0]
    if (input !== undefined) tally.examples.unshift(`shrunk: ${options.show(input)}: ${rule(input)}`)
  }
  return tally
}

/** A seed for this run, logged so a failure can be replayed (SWARMSWAP_FUZZ_SEED=<seed>). */
export function fuzzSeed(): number {
  const given = Number(process.env.SWARMSWAP_FUZZ_SEED)
  return Number.isSafeInteger(given) ? given : Math.floor(Math.random() * 2 ** 31)
}
