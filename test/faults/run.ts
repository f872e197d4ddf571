import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { REPORT_ENV } from './report.js'
import { type FaultReport, parseCaseLines, summarize } from './summary.js'

/**
 * `npm run test:faults [-- --json] [-- <ava args>]`: runs the fault suite (test/faults/**) with ava, each
 * case appending a line to a fresh report file, then sums what actually ran into one report. With --json
 * its last line is one JSON object. Exit code 0 only if ava passed, every case held and nothing was lost.
 */

const ROOT = join(import.meta.dirname, '..', '..')
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
      const report = summarize(parseCaseLines(await readFile(reportFile, 'utf8').catch(() => '')), code)
      if (options.json === true) process.stdout.write(`${JSON.stringify(report)}\n`)
      else printTable(report)
      if (!report.ok) process.exitCode = 1
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

await program.parseAsync()
