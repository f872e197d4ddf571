import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'ava'
import { parse, stringify } from 'lossless-json'
import { z } from 'zod'
import { freePort } from '../../../regtest/ports.js'
import { BitcoinRpc } from '../../../src/chains/bitcoin/rpc.js'
import { btcToSats, satsToBtc } from '../../../src/chains/bitcoin/rpc-amount.js'
import { isSwarmswapError } from '../../../src/errors.js'
import amounts from '../../fixtures/bitcoin-core/amounts.json' with { type: 'json' }
import failures from '../../fixtures/bitcoin-core/failures.json' with { type: 'json' }

/**
 * The client against Bitcoin Core's replies, replayed from fixtures by a local HTTP server (Bitcoin Core
 * cannot run here). The URL path picks the reply: /ok/<results.json key>, /fail/<failures.json index>,
 * /hang (never answers). Every request is recorded so the test can check what the client sent.
 */
const fixtureDir = new URL('../../fixtures/bitcoin-core/', import.meta.url)
// Read losslessly: Core's amounts (12.49990000) must reach the client exactly as written.
const results = parse(readFileSync(new URL('results.json', fixtureDir), 'utf8')) as Record<
  string,
  { result: unknown }
>

interface Recorded {
  path: string
  authorization: string | undefined
  contentType: string | undefined
  body: { jsonrpc: string; id: number; method: string; params: unknown[] }
}
const recorded: Recorded[] = []
const hanging = new Set<ServerResponse>()
let base = ''
let closeServer: () => Promise<void> = async () => {}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * Replies to a batch as Bitcoin Core does (HTTP 200, one reply per call, matched by id), in reverse order
 * to show the client matches ids, not positions. `keys`: a results.json key per call, comma-separated;
 * `error` answers that call with a JSON-RPC error, `none` leaves it without a reply.
 */
function batchReplies(calls: Recorded['body'][], keys: string): unknown[] {
  const replies = keys.split(',').flatMap((key, i): unknown[] => {
    const id = calls[i]?.id ?? null
    if (key === 'none') return []
    if (key === 'error') return [{ result: null, error: { code: -1, message: 'node says no' }, id }]
    const fixture = results[key]
    if (fixture === undefined) throw new Error(`no fixture ${key}`)
    return [{ result: fixture.result, error: null, id }]
  })
  return replies.reverse()
}

test.before(async () => {
  const server = createServer(async (request, response) => {
    const body = JSON.parse(await readBody(request)) as Recorded['body']
    const path = request.url ?? ''
    recorded.push({
      path,
      authorization: request.headers.authorization,
      contentType: request.headers['content-type'],
      body,
    })
    const [, kind, key = ''] = path.split('/')
    if (kind === 'batch') {
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(`${stringify(batchReplies(body as unknown as Recorded['body'][], key))}\n`)
      return
    }
    if (kind === 'hang') {
      hanging.add(response)
      return
    }
    if (kind === 'fail') {
      const failure = failures.cases[Number(key)]
      response
        .writeHead(failure?.status ?? 500, { 'content-type': 'application/json' })
        .end(failure?.body ?? '')
      return
    }
    const fixture = results[key]
    if (fixture === undefined) throw new Error(`no fixture ${key}`)
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(`${stringify({ result: fixture.result, error: null, id: body.id })}\n`)
  })
  const port = await freePort()
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${port}`
  closeServer = async () => {
    for (const response of hanging) response.destroy()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
})

test.after.always(async () => {
  await closeServer()
})

const auth = { user: 'alice', password: 'secret' }
const client = (path: string, timeoutMs?: number) =>
  new BitcoinRpc({ url: `${base}${path}`, auth, ...(timeoutMs === undefined ? {} : { timeoutMs }) })
const lastRequest = (path: string): Recorded => {
  const request = recorded.filter((entry) => entry.path === path).at(-1)
  if (request === undefined) throw new Error(`no request to ${path}`)
  return request
}

const TIP = '0c78a7ede486b5afec3048d1b5acc27f0d28b12a3df25914d4bc92d75dd77141'
const PREV = '4ea3535bd7786cf58ec390fd25f2f7c21e02cdb915281155e91eef0ce15fab48'
const TXID = '5bebe1f9133f88d6ec0963ef9b9619accc9faee26f06c14685605ac550ae453b'

test('sends a JSON-RPC 1.0 POST with HTTP Basic auth and the method parameters', async (t) => {
  await client('/ok/getblock').getBlock(TIP)
  const request = lastRequest('/ok/getblock')
  t.is(request.authorization, `Basic ${Buffer.from('alice:secret').toString('base64')}`)
  t.is(request.contentType, 'application/json')
  t.like(request.body, { jsonrpc: '1.0', method: 'getblock', params: [TIP, 2] })
  t.is(typeof request.body.id, 'number')
})

test('getBlockchainInfo maps Core fields', async (t) => {
  t.deepEqual(await client('/ok/getblockchaininfo').getBlockchainInfo(), {
    chain: 'regtest',
    blocks: 534,
    headers: 534,
    bestBlockHash: TIP,
    medianTime: 1795600183,
  })
})

test('getBlockCount and getBlockHash', async (t) => {
  t.is(await client('/ok/getblockcount').getBlockCount(), 534)
  t.is(await client('/ok/getblockhash').getBlockHash(534), TIP)
  t.deepEqual(lastRequest('/ok/getblockhash').body.params, [534])
})

test('getBlockHeader, with and without a previous block', async (t) => {
  t.deepEqual(await client('/ok/getblockheader').getBlockHeader(TIP), {
    hash: TIP,
    height: 534,
    time: 1795600184,
    medianTime: 1795600183,
    previousBlockHash: PREV,
    confirmations: 3,
  })
  const genesis = await client('/ok/getblockheader-genesis').getBlockHeader(TIP)
  t.is(genesis.height, 0)
  t.false('previousBlockHash' in genesis)
})

test('getBlock reads verbosity 2 transactions (txid and hex)', async (t) => {
  const block = await client('/ok/getblock').getBlock(TIP)
  t.like(block, { hash: TIP, height: 534, time: 1795600184, medianTime: 1795600183, previousBlockHash: PREV })
  t.deepEqual(
    block.txs.map((tx) => tx.txid),
    ['46b218e0c2f25ad2751615614640d746bd922f9f6bb0cc5cfb58470502b33a8f', TXID],
  )
  t.true(block.txs[1]?.hex.startsWith('02000000000101'))
})

test('getRawTransaction: confirmed with its block, unconfirmed with 0 confirmations', async (t) => {
  const confirmed = await client('/ok/getrawtransaction-confirmed').getRawTransaction(TXID, TIP)
  t.like(confirmed, { txid: TXID, blockHash: TIP, confirmations: 6 })
  t.deepEqual(lastRequest('/ok/getrawtransaction-confirmed').body.params, [TXID, true, TIP])
  const pending = await client('/ok/getrawtransaction-mempool').getRawTransaction(TXID)
  t.is(pending.confirmations, 0)
  t.false('blockHash' in pending)
  t.deepEqual(lastRequest('/ok/getrawtransaction-mempool').body.params, [TXID, true])
})

test('getRawMempool, sendRawTransaction, generateToAddress', async (t) => {
  t.deepEqual(await client('/ok/getrawmempool').getRawMempool(), [TXID])
  t.is(await client('/ok/sendrawtransaction').sendRawTransaction('0200'), TXID)
  t.deepEqual(await client('/ok/generatetoaddress').generateToAddress(2, 'bcrt1qexample'), [TIP, PREV])
  t.deepEqual(lastRequest('/ok/generatetoaddress').body.params, [2, 'bcrt1qexample'])
})

test('estimateSmartFee converts BTC/kvB to sat/vB rounded up, null without data', async (t) => {
  t.is(await client('/ok/estimatesmartfee').estimateSmartFee(2), 13n) // 12345 sat/kvB
  t.is(await client('/ok/estimatesmartfee-exact').estimateSmartFee(6), 1n) // 1000 sat/kvB
  t.is(await client('/ok/estimatesmartfee-nodata').estimateSmartFee(6), null)
})

test('getTxOut reads the amount exactly, null when spent', async (t) => {
  t.deepEqual(await client('/ok/gettxout').getTxOut(TXID, 0), {
    value: 2_099_999_997_690_000n,
    scriptPubKeyHex: '001479b000887626b294a914501a4cd226b58b235983',
    confirmations: 1,
  })
  t.deepEqual(lastRequest('/ok/gettxout').body.params, [TXID, 0, true])
  t.is(await client('/ok/gettxout-spent').getTxOut(TXID, 0, false), null)
  t.deepEqual(lastRequest('/ok/gettxout-spent').body.params, [TXID, 0, false])
})

test('setMockTime, invalidateBlock, reconsiderBlock send Core parameters', async (t) => {
  await client('/ok/null').setMockTime(1_800_000_000)
  t.like(lastRequest('/ok/null').body, { method: 'setmocktime', params: [1_800_000_000] })
  await client('/ok/null').invalidateBlock(TIP)
  t.like(lastRequest('/ok/null').body, { method: 'invalidateblock', params: [TIP] })
  await client('/ok/null').reconsiderBlock(TIP)
  t.like(lastRequest('/ok/null').body, { method: 'reconsiderblock', params: [TIP] })
})

test('call validates with the given schema', async (t) => {
  t.is(await client('/ok/getblockcount').call('getblockcount', [], z.number()), 534)
  const error = await t.throwsAsync(client('/ok/getblockcount').call('getblockcount', [], z.string()))
  t.true(isSwarmswapError(error, 'BAD_DATA'))
})

for (const [index, failure] of failures.cases.entries()) {
  test(`failure: ${failure.description}`, async (t) => {
    const rpc = client(`/fail/${index}`)
    const calls: Record<string, () => Promise<unknown>> = {
      sendrawtransaction: () => rpc.sendRawTransaction('0200'),
      getrawtransaction: () => rpc.getRawTransaction(TXID),
      getblockheader: () => rpc.getBlockHeader(TIP),
      getblockhash: () => rpc.getBlockHash(1),
      getblockcount: () => rpc.getBlockCount(),
      gettxout: () => rpc.getTxOut(TXID, 0),
      getblock: () => rpc.getBlock(TIP),
    }
    const call = calls[failure.method]
    if (call === undefined) throw new Error(`no call for ${failure.method}`)
    const error = await t.throwsAsync(call())
    if (!isSwarmswapError(error)) throw new Error(`not a SwarmswapError: ${String(error)}`)
    t.is(error.code as string, failure.expected.code, error.message)
    if ('details' in failure.expected && failure.expected.details !== undefined) {
      t.like({ ...error.details }, failure.expected.details)
    }
  })
}

test('mempoolAtTip sends the tip, mempool and tip reads as one batch, in order', async (t) => {
  const path = '/batch/getblockchaininfo,getrawmempool,getblockchaininfo'
  const { before, txids, after } = await client(path).mempoolAtTip()
  t.is(before.bestBlockHash, TIP)
  t.deepEqual(txids, [TXID])
  t.deepEqual(after, before)
  const sent = lastRequest(path).body as unknown as Recorded['body'][]
  t.deepEqual(
    sent.map(({ method, params }) => ({ method, params })),
    [
      { method: 'getblockchaininfo', params: [] },
      { method: 'getrawmempool', params: [false] },
      { method: 'getblockchaininfo', params: [] },
    ],
  )
  t.is(new Set(sent.map((call) => call.id)).size, 3, 'each call has its own id')
})

test('a batch fails as its first failing call does, and when a reply is missing or invalid', async (t) => {
  const failed = await t.throwsAsync(
    client('/batch/getblockchaininfo,error,getblockchaininfo').mempoolAtTip(),
  )
  t.true(isSwarmswapError(failed, 'RPC_ERROR'))
  t.like(isSwarmswapError(failed) ? { ...failed.details } : {}, { method: 'getrawmempool', rpcCode: -1 })
  const missing = await t.throwsAsync(client('/batch/getblockchaininfo,getrawmempool,none').mempoolAtTip())
  t.true(isSwarmswapError(missing, 'BAD_DATA'))
  const invalid = await t.throwsAsync(
    client('/batch/getblockchaininfo,getblockcount,getblockchaininfo').mempoolAtTip(),
  )
  t.true(isSwarmswapError(invalid, 'BAD_DATA'), 'a block count is not a mempool listing')
  const notBatch = await t.throwsAsync(client('/ok/getblockchaininfo').mempoolAtTip())
  t.true(isSwarmswapError(notBatch, 'BAD_DATA'), 'a single reply to a batch')
})

// Serial: other tests call the same fixture path with user/password auth, and lastRequest() reads the latest.
test.serial('cookie auth reads the cookie file at call time', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'swarmswap-cookie-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const cookieFile = join(dir, '.cookie')
  const rpc = new BitcoinRpc({ url: `${base}/ok/getblockcount`, auth: { cookieFile } })
  const missing = await t.throwsAsync(rpc.getBlockCount())
  t.true(isSwarmswapError(missing, 'RPC_UNREACHABLE'))
  await writeFile(cookieFile, '__cookie__:first\n')
  await rpc.getBlockCount()
  t.is(
    lastRequest('/ok/getblockcount').authorization,
    `Basic ${Buffer.from('__cookie__:first').toString('base64')}`,
  )
  await writeFile(cookieFile, '__cookie__:second')
  await rpc.getBlockCount()
  t.is(
    lastRequest('/ok/getblockcount').authorization,
    `Basic ${Buffer.from('__cookie__:second').toString('base64')}`,
  )
  await writeFile(cookieFile, 'no-colon')
  const malformed = await t.throwsAsync(rpc.getBlockCount())
  t.true(isSwarmswapError(malformed, 'RPC_AUTH'))
})

test('a node that does not answer in time is a TIMEOUT', async (t) => {
  const started = Date.now()
  const error = await t.throwsAsync(client('/hang', 200).getBlockCount())
  t.true(isSwarmswapError(error, 'TIMEOUT'))
  t.true(Date.now() - started < 2000)
})

test('a closed port is RPC_UNREACHABLE', async (t) => {
  const rpc = new BitcoinRpc({ url: `http://127.0.0.1:${await freePort()}`, auth })
  const error = await t.throwsAsync(rpc.getBlockCount())
  t.true(isSwarmswapError(error, 'RPC_UNREACHABLE'))
})

for (const { btc, sats } of amounts.valid) {
  test(`btcToSats(${btc}) = ${sats}`, (t) => {
    t.is(btcToSats(btc), BigInt(sats))
    t.is(btcToSats(satsToBtc(BigInt(sats))), BigInt(sats))
  })
}

for (const { btc, description } of amounts.invalid) {
  test(`btcToSats refuses ${description}`, (t) => {
    const error = t.throws(() => btcToSats(btc))
    t.true(isSwarmswapError(error, 'BAD_DATA'))
  })
}

test('satsToBtc writes Core amounts', (t) => {
  t.is(satsToBtc(10_000n), '0.00010000')
  t.is(satsToBtc(0n), '0.00000000')
  t.is(satsToBtc(-1n), '-0.00000001')
  t.is(satsToBtc(2_099_999_997_690_000n), '20999999.97690000')
})
