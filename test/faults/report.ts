import { appendFileSync } from 'node:fs'
import type { ExecutionContext } from 'ava'

/**
 * What each fault case reports to `npm run test:faults` (test/faults/run.ts): one JSON line per case that
 * actually ran, appended to the file named by SWARMSWAP_FAULT_REPORT. Run by plain `ava`, nothing is written.
 */

export type FaultKind = 'crash' | 'chain' | 'adversary' | 'fuzz'

export interface FaultCaseLine {
  kind: FaultKind
  name: string
  /** The case ran to its end and every assertion held. */
  ok: boolean
  /** Base units per asset the honest side(s) ended short of what the terms and fees say; decimal strings. */
  fundsLost: Record<string, string>
  /** Fuzz cases: inputs tried, and how many of them broke a rule. */
  inputs?: number
  failures?: number
}

export const REPORT_ENV = 'SWARMSWAP_FAULT_REPORT'

export function recordCase(line: FaultCaseLine): void {
  const file = process.env[REPORT_ENV]
  if (file === undefined || file === '') return
  appendFileSync(file, `${JSON.stringify(line)}\n`)
}

export interface CaseOutcome {
  /** Shortfall per asset (base units), summed over the honest parties; omit when no funds were at stake. */
  fundsLost?: Map<string, bigint>
  inputs?: number
  failures?: number
}

/**
 * Runs one fault case inside an ava test and records it: ok when `body` returns and every assertion of
 * `t` so far passed. A case that throws is recorded as not ok (with no loss figure), then the error goes on.
 */
export async function faultCase(
  t: ExecutionContext,
  kind: FaultKind,
  body: () => Promise<CaseOutcome>,
): Promise<void> {
  let outcome: CaseOutcome = {}
  let ok = false
  try {
    outcome = await body()
    ok = t.passed
  } finally {
    const fundsLost: Record<string, string> = {}
    for (const [asset, amount] of outcome.fundsLost ?? []) fundsLost[asset] = amount.toString()
    recordCase({
      kind,
      name: t.title,
      ok,
      fundsLost,
      ...(outcome.inputs === undefined ? {} : { inputs: outcome.inputs }),
      ...(outcome.failures === undefined ? {} : { failures: outcome.failures }),
    })
  }
}

/** The sum of shortfalls, asset by asset (a new map). */
export function addLosses(...losses: Map<string, bigint>[]): Map<string, bigint> {
  const total = new Map<string, bigint>()
  for (const loss of losses) {
    for (const [asset, amount] of loss) total.set(asset, (total.get(asset) ?? 0n) + amount)
  }
  return total
}
