import { performance } from 'node:perf_hooks'
import { setTimeout as sleep, setImmediate as turn } from 'node:timers/promises'
import { isDeepStrictEqual } from 'node:util'
import test, { type ExecutionContext } from 'ava'
import fc from 'fast-check'
import { DaemonScene, type RunningDaemon } from '../../regtest/daemon-scene.js'
import type { MethodName } from '../../src/api/schemas.js'
import type { SwarmswapClient } from '../../src/sdk/client.js'
import { type Connection, resolveConnection } from '../../src/sdk/connection.js'
import { describeError } from '../helpers/wire-fuzz.js'
import { type DecoderTarget, handshakeTarget, messageTarget, orderBodyTarget } from './fuzz/decoders.js'
import { ProcessFaults } from './fuzz/process-faults.js'
import { checkAnswer } from './fuzz/rpc-answers.js'
import { cutOff, rpcBody } from './fuzz/rpc-inputs.js'
import { eachLimited, RpcPoster, sendCutOff } from './fuzz/rpc-sender.js'
import { type FuzzTally, fuzzSeed, fuzzSync } from './fuzz/tally.js'
import { faultCase } from './report.js'

/**
 * Issue 6, fuzz: every decoder of peer bytes and every method of the local API, at least 100,000 inputs
 * per run. A decoder returns a value that re-encodes to its input or throws BAD_DATA with a message; the
 * API answers every request with well-formed JSON-RPC 2.0 and a documented error code, changes nothing
 * for rejected calls, and stays up. Unhandled rejections and uncaught exceptions in this process count
 * as failures of the case that was running. SWARMSWAP_FUZZ_SEED=<n> replays a run.
 */

const RUNS = { message: 50_000, handshake: 10_000, orderBody: 20_000, rpc: 25_000, cutOff: 400 }
/** Requests in flight at once: enough to keep the daemon busy on two cores. */
const CONCURRENCY = 8
const MAX_EXAMPLES = 4

const seed = fuzzSeed()
const faults = new ProcessFaults()
faults.install()

const scene = new DaemonScene()
let started: Promise<{ daemon: RunningDaemon; connection: Connection }> | null = null

/** One swarmswapd on a private regtest env, unfunded (no call moves money); started by the first API case. */
function daemonReady() {
  started ??= (async () => {
    await scene.ready()
    const daemon = await scene.start('fuzz')
    return { daemon, connection: await resolveConnection({ datadir: daemon.datadir }) }
  })()
  return started
}

test.after.always(async () => {
  await scene.close()
})

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
/** Examples are cut short: a fuzz input can be 50 kB. */
const clip = (text: string) => (text.length > 300 ? `${text.slice(0, 300)}... (${text.length} chars)` : text)
const bodyText = (body: Uint8Array) => clip(JSON.stringify(Buffer.from(body).toString('utf8')))

/** Adds the process faults since `mark` to the tally, then asserts there were no failures. */
async function settle(t: ExecutionContext, tally: FuzzTally, mark: number): Promise<void> {
  await turn() // let a rejection of the last input surface
  const processFaults = faults.since(mark)
  tally.failures += processFaults.length
  tally.examples.push(...processFaults)
  t.is(tally.failures, 0, tally.examples.slice(0, MAX_EXAMPLES).join('\n'))
}

const DECODERS: Array<[() => DecoderTarget, number]> = [
  [messageTarget, RUNS.message],
  [handshakeTarget, RUNS.handshake],
  [orderBodyTarget, RUNS.orderBody],
]

for (const [make, runs] of DECODERS) {
  const target = make()
  test.serial(`fuzz: ${target.name} on ${target.sources}`, async (t) => {
    await faultCase(t, 'fuzz', async () => {
      const mark = faults.seen.length
      const began = performance.now()
      const tally = fuzzSync(target.inputs, target.rule, { runs, seed, show: hex })
      const seconds = (performance.now() - began) / 1000
      t.log(
        `seed ${seed}: ${tally.inputs} inputs in ${seconds.toFixed(1)} s`,
        Object.fromEntries(target.outcomes),
      )
      await settle(t, tally, mark)
      // The inputs reach every layer: some pass, some fail the byte layout, some fail the value rules.
      t.true((target.outcomes.get('accepted') ?? 0) > 0, 'no input was accepted')
      t.true((target.outcomes.get('malformed') ?? 0) > 0, 'no input was malformed')
      t.true((target.outcomes.get('invalid') ?? 0) > 0, 'no input broke a value rule')
      return { inputs: tally.inputs, failures: tally.failures }
    })
  })
}

/** What a rejected call must not change. */
async function stateOf(client: SwarmswapClient) {
  const [balances, orders, swaps, markets] = await Promise.all([
    client.balance(),
    client.orders(),
    client.swaps(),
    client.markets(),
  ])
  return { balances, orders, swaps, markets: markets.map((m) => m.id).sort() }
}

/** Whether the daemon process runs and answers node.info as itself. */
async function stillServing(daemon: RunningDaemon, identity: string): Promise<string | null> {
  if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) {
    return `swarmswapd exited (${daemon.child.exitCode ?? daemon.child.signalCode}): ${daemon.logs().slice(-600)}`
  }
  try {
    const info = await daemon.client.info()
    return info.identity === identity && info.network === 'regtest'
      ? null
      : 'node.info answers as another node'
  } catch (error) {
    return `node.info failed: ${describeError(error)}`
  }
}

test.serial(
  'fuzz: every API method with fuzzed params, unknown methods, broken envelopes, batches, non-JSON bodies',
  async (t) => {
    await faultCase(t, 'fuzz', async () => {
      const { daemon, connection } = await daemonReady()
      const mark = faults.seen.length
      const before = await stateOf(daemon.client)
      const { identity } = await daemon.client.info()
      const bodies = fc.sample(rpcBody, { numRuns: RUNS.rpc, seed })
      const tally: FuzzTally = { inputs: 0, failures: 0, examples: [] }
      const ran = new Map<MethodName, number>()
      let firstFailure = -1
      const poster = new RpcPoster(connection, CONCURRENCY)
      const check = async (body: Uint8Array) => {
        try {
          const answer = await poster.post(body)
          return checkAnswer(body, answer.status, answer.text)
        } catch (error) {
          return { broken: `no answer: ${describeError(error)}`, ran: [] }
        }
      }

      const began = performance.now()
      await eachLimited([...bodies.entries()], CONCURRENCY, async ([index, body]) => {
        tally.inputs++
        const { broken, ran: methods } = await check(body)
        for (const method of methods) ran.set(method, (ran.get(method) ?? 0) + 1)
        if (broken === null) return
        tally.failures++
        if (firstFailure === -1 || index < firstFailure) firstFailure = index
        if (tally.examples.length < MAX_EXAMPLES) tally.examples.push(`${bodyText(body)}: ${broken}`)
      })
      const seconds = (performance.now() - began) / 1000
      t.log(
        `seed ${seed}: ${tally.inputs} requests in ${seconds.toFixed(1)} s (${Math.round(tally.inputs / seconds)}/s, ${CONCURRENCY} in flight); ran:`,
        Object.fromEntries(ran),
      )

      if (firstFailure !== -1) {
        // Replays the same inputs one by one up to the first failure, and lets fast-check shrink it.
        const shrunk = await fc.check(
          fc.asyncProperty(rpcBody, async (body) => (await check(body)).broken === null),
          { numRuns: firstFailure + 1, seed },
        )
        const body = shrunk.counterexample?.[0]
        if (body !== undefined)
          tally.examples.unshift(`shrunk: ${bodyText(body)}: ${(await check(body)).broken}`)
      }

      const serving = await stillServing(daemon, identity)
      if (serving !== null) {
        tally.failures++
        tally.examples.unshift(serving)
      } else {
        const after = await stateOf(daemon.client)
        // A valid markets.join or markets.leave may have run (not a failure); otherwise nothing moved.
        const marketsMayMove = ran.has('markets.join') || ran.has('markets.leave')
        for (const part of ['balances', 'orders', 'swaps', 'markets'] as const) {
          if (part === 'markets' && marketsMayMove) continue
          if (isDeepStrictEqual(after[part], before[part])) continue
          tally.failures++
          tally.examples.unshift(`${part} changed: ${clip(JSON.stringify(after[part]))}`)
        }
      }
      await settle(t, tally, mark)
      return { inputs: tally.inputs, failures: tally.failures }
    })
  },
)

test.serial('fuzz: API calls cut off mid-body or abandoned before the answer', async (t) => {
  await faultCase(t, 'fuzz', async () => {
    const { daemon, connection } = await daemonReady()
    const mark = faults.seen.length
    const { identity } = await daemon.client.info()
    const cuts = fc.sample(cutOff, { numRuns: RUNS.cutOff, seed })
    const tally: FuzzTally = { inputs: 0, failures: 0, examples: [] }
    // In rounds, so a daemon that died is caught at the round that killed it and nothing after is counted.
    const ROUND = 50
    for (let start = 0; start < cuts.length; start += ROUND) {
      const round = cuts.slice(start, start + ROUND)
      await eachLimited(round, CONCURRENCY, async (cut) => {
        try {
          await sendCutOff(connection, cut)
          tally.inputs++
        } catch {
          // Refused: the daemon is gone, which the check below reports; this input did not run.
        }
      })
      await sleep(100) // the daemon sees the sockets close
      const serving = await stillServing(daemon, identity)
      if (serving !== null) {
        tally.failures++
        tally.examples.push(`${serving}, after cut-off requests such as ${clip(JSON.stringify(round[0]))}`)
        break
      }
    }
    t.log(`seed ${seed}: ${tally.inputs} cut-off requests`)
    await settle(t, tally, mark)
    return { inputs: tally.inputs, failures: tally.failures }
  })
})
