import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test, { type ExecutionContext } from 'ava'
import { swapView } from '../../src/api/schemas.js'
import type { CliIo } from '../../src/cli/context.js'
import { runCli } from '../../src/cli/program.js'
import type { SwapEventView, SwapView } from '../../src/sdk/types.js'
import { FakeDaemon, result } from '../sdk/fake-daemon.js'

/**
 * `swaps watch` against a stand-in daemon that replays a swap's updates, so the exit codes of every ending
 * (completed, refunded, failed) are checked without waiting for real deadlines to pass.
 */

const ID = 'aa'.repeat(32)
const AT = 1_795_000_000

function swap(status: SwapView['status'], history: SwapEventView[], reason?: string): SwapView {
  const party = { btcPubkey: `02${'11'.repeat(32)}`, evmAddress: `0x${'22'.repeat(20)}` }
  const leg = (
    chain: 'bitcoin' | 'evm',
    asset: 'BTC' | 'ETH',
    amount: string,
    formatted: string,
    deadline: number,
  ) => ({
    chain,
    asset,
    amount: { asset, amount, formatted },
    hashlock: 'bb'.repeat(32),
    deadline,
    sender: party,
    recipient: party,
    confirmations: 1,
  })
  const final = status === 'completed' || status === 'refunded' || status === 'failed'
  return swapView.parse({
    id: ID,
    role: 'maker',
    status,
    final,
    market: { network: 'regtest', base: 'BTC', quote: 'ETH', id: 'regtest:BTC/ETH' },
    orderId: 'cc'.repeat(32),
    peer: 'dd'.repeat(32),
    makerLeg: leg('bitcoin', 'BTC', '10000000', '0.1', AT + 1200),
    takerLeg: leg('evm', 'ETH', '2000000000000000000', '2', AT + 600),
    timeline: [
      {
        who: 'taker',
        action: 'lock',
        when: 'by',
        at: AT + 300,
        text: 'taker must lock ETH by 2026-11-18T11:11:40.000Z',
      },
      {
        who: 'maker',
        action: 'refund',
        when: 'from',
        at: AT + 1200,
        text: 'maker may refund BTC from 2026-11-18T11:26:40.000Z',
      },
    ],
    history,
    ...(reason === undefined ? {} : { reason }),
    createdAt: AT * 1000,
    updatedAt: AT * 1000 + history.length,
  })
}

const step = (status: SwapView['status'], note: string, txid?: string): SwapEventView => ({
  at: AT * 1000,
  status,
  note,
  ...(txid === undefined ? {} : { txid, chain: 'bitcoin' as const }),
})
const LOCK = step('locked', 'lock confirmed', '01'.repeat(32))
const NEGOTIATED = step('negotiated', 'terms agreed as maker')

/** Serves `first` to swaps.get, then pushes `updates` over the WebSocket once the CLI has asked. */
async function watchAgainst(t: ExecutionContext, first: SwapView, updates: SwapView[], json = false) {
  const fake = new FakeDaemon()
  const url = await fake.listen()
  const dir = await mkdtemp(join(tmpdir(), 'swarmswap-watch-'))
  t.teardown(async () => {
    await fake.close()
    await rm(dir, { recursive: true, force: true })
  })
  await writeFile(join(dir, 'cookie'), `__cookie__:${'5a'.repeat(32)}`)
  fake.answer = (method) => {
    if (method !== 'swaps.get') throw new Error(`unexpected ${method}`)
    // The CLI subscribed before asking: the updates it must now see follow.
    setTimeout(() => {
      for (const update of updates)
        fake.push(JSON.stringify({ jsonrpc: '2.0', method: 'swap.updated', params: { swap: update } }))
    }, 20)
    return result({ swap: first })
  }
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = { out: (text) => out.push(text), err: (text) => err.push(text), now: () => AT }
  const argv = [
    '--rpc-url',
    url,
    '--cookie-file',
    join(dir, 'cookie'),
    ...(json ? ['--json'] : []),
    'swaps',
    'watch',
    ID,
  ]
  const code = await runCli(argv, io)
  return { code, out, err }
}

test('watch prints the legs and deadlines once, each step with its txid as it comes, and exits 0 on completed', async (t) => {
  const claim = step('completed', 'claim confirmed', '02'.repeat(32))
  const { code, out, err } = await watchAgainst(t, swap('negotiated', [NEGOTIATED]), [
    swap('locked', [NEGOTIATED, LOCK]),
    swap('completed', [NEGOTIATED, LOCK, claim]),
  ])
  t.is(code, 0)
  t.deepEqual(err, [])
  t.regex(out[0] ?? '', /^swap\s+a{64}\nstatus\s+negotiated\n/)
  t.regex(
    out[0] ?? '',
    /DEADLINES \(who must act by when\)\n\s+ACTION\s+WHEN\s+TIME\n\s+taker must lock ETH\s+by\s+2026-11-18 11:11:40Z \(in 5m 00s\)\n\s+maker may refund BTC\s+from\s+2026-11-18 11:26:40Z \(in 20m 00s\)\n\nSTEPS$/,
  )
  t.deepEqual(out.slice(1), [
    '  2026-11-18 11:06:40Z  negotiated     terms agreed as maker',
    `  2026-11-18 11:06:40Z  locked         lock confirmed  bitcoin tx ${'01'.repeat(32)}`,
    `  2026-11-18 11:06:40Z  completed      claim confirmed  bitcoin tx ${'02'.repeat(32)}`,
    'swap completed',
  ])
})

test('watch of a swap that refunds exits 1 with one line naming the reason', async (t) => {
  const refund = step('refunded', 'refund confirmed', '03'.repeat(32))
  const { code, out, err } = await watchAgainst(t, swap('locked', [NEGOTIATED, LOCK]), [
    swap('refunded', [NEGOTIATED, LOCK, refund], 'counterparty-never-locked'),
  ])
  t.is(code, 1)
  t.deepEqual(err, [`swarmswap: swap ${ID} ended refunded: counterparty-never-locked`])
  t.is(out.at(-1), 'swap refunded: counterparty-never-locked')
})

test('watch --json prints only the final swap, one JSON object, and exits 1 on failed', async (t) => {
  const failed = swap('failed', [NEGOTIATED, step('failed', 'audit failed')], 'audit-failed: amount')
  const { code, out, err } = await watchAgainst(t, swap('negotiated', [NEGOTIATED]), [failed], true)
  t.is(code, 1)
  t.deepEqual(
    out.map((line) => JSON.parse(line)),
    [{ swap: failed }],
  )
  t.deepEqual(err, [`swarmswap: swap ${ID} ended failed: audit-failed: amount`])
})

test('watch of a swap already over returns at once', async (t) => {
  const done = swap('completed', [NEGOTIATED, LOCK])
  const { code, out } = await watchAgainst(t, done, [])
  t.is(code, 0)
  t.is(out.at(-1), 'swap completed')
})
