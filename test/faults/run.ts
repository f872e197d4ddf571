import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { z } from 'zod'
import { type FaultCaseLine, REPORT_ENV } from './report.js'

/**
 * `npm run test:faults [-- --json] [-- <ava args>]`: runs the fault suite (test/faults/**) with ava, each
 * case appending a line to a fresh report file, then sums what actually ran into one report. With --json
 * its last line is one JSON object. Exit code 0 only if ava passed, every case held and nothing was lost.
 */

const ROOT = join(import.meta.dirname, '..', '..')
const CORE_ASSETS = ['BTC', 'ETH']

const caseLine = z.object({
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

async function runAva(args: string[], reportFile: string): Promise<number> {
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'ava', 'entrypoints', 'cli.mjs'),
      '--config',
      'test/faults/ava.config.mjs',
      ...args,
    ],
    { cwd: ROOT, env: { ...process.env, [REPORT_ENV]: reportFile }, stdio: 'inherit' },
  )
  return await new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)))
}

function printTable(report: FaultReport): void {
  const rows: [string, string][] = [
    ['crash points recovered', `${report.crashRecovered} / ${report.crashPoints}`],
    ['chain faults survived', `${report.chainFaultsSurvived} / ${report.chainFaults}`],
    ['adversary cases defended', `${report.adversaryDefended} / ${report.adversaryCases}`],
    ['fuzz inputs (failures)', `${report.fuzzInputs} (${report.fuzzFailures})`],
    ...Object.entries(report.fundsLost).map(([asset, amount]): [string, string] => [`lost ${asset}`, amount]),
  ]
  for (const [label, value] of rows) process.stdout.write(`${label.padEnd(26)} ${value}\n`)
  for (const name of report.failedCases) process.stdout.write(`FAILED ${name}\n`)
}

const program = new Command()
  .name('npm run test:faults --')
  .description('crash, chain-fault, adversary and fuzz matrix on the regtest chains and a local DHT')
  .option('--json', 'print the report as one JSON object on the last line')
  .argument('[ava...]', 'passed on to ava (for example a file or --match)')
  .action(async (avaArgs: string[], options: { json?: boolean }) => {
    const dir = await mkdtemp(join(tmpdir(), 'swarmswap-faults-'))
    try {
      const reportFile = join(dir, 'cases.jsonl')
      const code = await runAva(avaArgs, reportFile)
      const text = await readFile(reportFile, 'utf8').catch(() => '')
      const lines = text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => caseLine.parse(JSON.parse(line)))
      const report = summarize(lines, code)
      if (options.json === true) process.stdout.write(`${JSON.stringify(report)}\n`)
      else printTable(report)
      if (!report.ok) process.exitCode = 1
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

await program.parseAsync()
