import test from 'ava'
import { DEFAULT_SWAP_BENCH, swapBenchmark } from '../../bench/swap.js'

/**
 * The swap benchmark's whole code path with tiny counts (chains in a child process, floor, sequential and
 * concurrent swaps): every swap completes and the report carries the figures `npm run bench -- swap` promises.
 * Timing goals are not asserted here (the suite runs on loaded machines); `npm run bench` checks them.
 */
test('the swap benchmark runs end to end with tiny counts', async (t) => {
  const report = await swapBenchmark({ ...DEFAULT_SWAP_BENCH, swaps: 2, floorRepetitions: 2, concurrent: 3 })
  const { figures } = report
  t.is(figures.swaps, 2)
  t.is(figures.concurrent, 3)
  t.is(figures.concurrentOk, 3, report.table)
  for (const name of ['swapP50Ms', 'swapP95Ms', 'floorP50Ms', 'concurrentSwapsPerMin']) {
    t.true(typeof figures[name] === 'number' && figures[name] > 0, `${name} = ${figures[name]}`)
  }
  t.true(Number(figures.swapP95Ms) >= Number(figures.swapP50Ms))
  t.is(report.goals.concurrentOk, 3)
  t.is(report.goals.swapP50Ms, 3 * Number(figures.floorP50Ms))
  t.regex(report.table, /maker: lock signed/)
})
