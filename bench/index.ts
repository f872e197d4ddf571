import { Command } from 'commander'
import { SwarmswapError } from '../src/errors.js'
import { type BenchReport, htlcBenchmark } from './htlc.js'
import { orderbookBenchmark } from './orderbook.js'
import { swapBenchmark } from './swap.js'

/**
 * `npm run bench -- <name> [--json]`: the project's one benchmark entry point. Each benchmark starts what
 * it measures on loopback, measures in the same run the floor it is compared with, prints a readable table
 * (or, with --json, one JSON object as the last line), and exits non-zero when a goal is missed.
 */
const benchmarks: Record<string, { description: string; run: () => Promise<BenchReport> }> = {
  htlc: {
    description: 'gas of the EVM HTLC and vbytes of the Bitcoin HTLC, on the regtest chains',
    run: htlcBenchmark,
  },
  orderbook: {
    description: 'order propagation over a 20-peer mesh and a 10,000-order sync',
    run: orderbookBenchmark,
  },
  swap: {
    description:
      'whole swaps between two trading nodes on the automining regtest chains, sequential and concurrent',
    run: () => swapBenchmark(),
  },
}

const program = new Command()
  .name('npm run bench --')
  .argument('<name>', `one of: ${Object.keys(benchmarks).join(', ')}`)
  .option('--json', 'print one JSON object as the last line')
  .action(async (name: string, options: { json?: boolean }) => {
    const benchmark = benchmarks[name]
    if (benchmark === undefined) {
      throw new SwarmswapError('INVALID_ARGUMENT', `unknown benchmark ${JSON.stringify(name)}`)
    }
    const report = await benchmark.run()
    if (options.json === true) {
      process.stdout.write(
        `${JSON.stringify({ benchmark: name, ...report.figures, goals: report.goals, withinGoals: report.withinGoals })}\n`,
      )
    } else {
      process.stdout.write(`${report.table}\n`)
    }
    if (!report.withinGoals) process.exitCode = 1
  })

try {
  await program.parseAsync()
} catch (error) {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 2
}
