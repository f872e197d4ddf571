import { z } from 'zod'
import type { FaultCaseLine } from './report.js'

/** The fault suite's report: what the case lines of one run add up to. */

const CORE_ASSETS = ['BTC', 'ETH']

const caseLineSchema = z.object({
  kind: z.enum(['crash', 'chain', 'adversary', 'fuzz']),
  name: z.string(),
  ok: z.boolean(),
  fundsLost: z.record(z.string(), z.string().regex(/^\d+$/)),
  inputs: z.number().int().nonnegative().optional(),
  failures: z.number().int().nonnegative().optional(),
})

export interface FaultReport {
  crashPoints: number
  crashRecovered: number
  chainFaults: number
  chainFaultsSurvived: number
  adversaryCases: number
  adversaryDefended: number
  fuzzInputs: number
  fuzzFailures: number
  /** Base units per asset, decimal strings. */
  fundsLost: Record<string, string>
  /** Cases whose run did not hold, by name. */
  failedCases: string[]
  avaExitCode: number
  ok: boolean
}

/** Sums the case lines of one run. */
export function summarize(lines: FaultCaseLine[], avaExitCode: number): FaultReport {
  const of = (kind: FaultCaseLine['kind']) => lines.filter((line) => line.kind === kind)
  const held = (cases: FaultCaseLine[]) => cases.filter((line) => line.ok).length
  const lost = new Map<string, bigint>(CORE_ASSETS.map((asset) => [asset, 0n]))
  for (const line of lines) {
    for (const [asset, amount] of Object.entries(line.fundsLost)) {
      lost.set(asset, (lost.get(asset) ?? 0n) + BigInt(amount))
    }
  }
  const fuzz = of('fuzz')
  const failedCases = lines.filter((line) => !line.ok).map((line) => `${line.kind}: ${line.name}`)
  const fuzzFailures = fuzz.reduce((sum, line) => sum + (line.failures ?? (line.ok ? 0 : 1)), 0)
  return {
    crashPoints: of('crash').length,
    crashRecovered: held(of('crash')),
    chainFaults: of('chain').length,
    chainFaultsSurvived: held(of('chain')),
    adversaryCases: of('adversary').length,
    adversaryDefended: held(of('adversary')),
    fuzzInputs: fuzz.reduce((sum, line) => sum + (line.inputs ?? 0), 0),
    fuzzFailures,
    fundsLost: Object.fromEntries([...lost].map(([asset, amount]) => [asset, amount.toString()])),
    failedCases,
    avaExitCode,
    ok:
      avaExitCode === 0 &&
      lines.length > 0 &&
      failedCases.length === 0 &&
      fuzzFailures === 0 &&
      [...lost.values()].every((amount) => amount === 0n),
  }
}

/** The report file's lines (JSON, one per case); a malformed line throws. */
export function parseCaseLines(text: string): FaultCaseLine[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => caseLineSchema.parse(JSON.parse(line)))
}
