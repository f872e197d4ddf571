import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import test from 'ava'
import { JsonRpcProvider } from 'ethers'
import HyperDHT from 'hyperdht'
import { z } from 'zod'
import { regtestEndpointsSchema } from '../../regtest/endpoints.js'
import { bitcoin, ECPair } from '../../src/chains/bitcoin/ecc.js'
import { BitcoinRpc } from '../../src/chains/bitcoin/rpc.js'
import { firstLine, isAlive, runTs, spawnTs, stopChild } from '../helpers/child.js'

const MAIN = 'regtest/main.ts'
const outputSchema = regtestEndpointsSchema.extend({ datadir: z.string(), endpointsFile: z.string() })

let datadir = ''
test.before(async () => {
  datadir = await mkdtemp(join(tmpdir(), 'swarmswap-regtest-cli-'))
})
test.after.always(async () => {
  await rm(datadir, { recursive: true, force: true })
})

function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['--ppid', String(pid), '-o', 'pid='], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map(Number)
  } catch {
    return []
  }
}

function descendantPids(pid: number): number[] {
  return childPids(pid).flatMap((child) => [child, ...descendantPids(child)])
}

async function waitForExit(pids: number[]): Promise<void> {
  // Children (anvil; tsx's esbuild service) end with their parent; give the OS a moment to reap them.
  for (let waited = 0; pids.some(isAlive) && waited < 5000; waited += 100) await sleep(100)
}

function randomAddress(): string {
  const { address } = bitcoin.payments.p2wpkh({
    pubkey: ECPair.makeRandom().publicKey,
    network: bitcoin.networks.regtest,
  })
  if (address === undefined) throw new Error('no address')
  return address
}

test.serial('up: serves both chains and a DHT, stops on SIGTERM, keeps state in --datadir', async (t) => {
  const up = spawnTs(MAIN, ['up', '--datadir', datadir, '--free-ports'])
  t.teardown(() => stopChild(up, 'SIGKILL'))
  const printed = outputSchema.parse(JSON.parse(await firstLine(up, 60_000)))
  t.is(printed.datadir, datadir)
  const fromFile = JSON.parse(await readFile(printed.endpointsFile, 'utf8'))
  const { datadir: _d, endpointsFile: _f, ...endpoints } = printed
  t.deepEqual(fromFile, endpoints, 'the endpoints file holds what was printed')

  // Bitcoin: answers like Core, segwit active, faucet funded.
  const rpc = new BitcoinRpc({
    url: endpoints.bitcoin.rpcUrl,
    auth: { user: endpoints.bitcoin.rpcUser, password: endpoints.bitcoin.rpcPassword },
  })
  const info = await rpc.getBlockchainInfo()
  t.is(info.chain, 'regtest')
  t.true(info.blocks >= 432 + 110)

  // EVM: the contracts are deployed.
  const provider = new JsonRpcProvider(endpoints.evm.rpcUrl, endpoints.evm.chainId, { staticNetwork: true })
  t.not(await provider.getCode(endpoints.evm.htlcAddress), '0x')
  t.not(await provider.getCode(endpoints.evm.tokenAddress), '0x')
  provider.destroy()

  // DHT: a node bound to loopback bootstraps from the local network.
  const [host, port] = (endpoints.dht.bootstrap[0] ?? '').split(':')
  const dht = new HyperDHT({ bootstrap: [{ host: host ?? '', port: Number(port) }], host: '127.0.0.1' })
  await dht.fullyBootstrapped()
  await dht.destroy()

  // Control commands act on the running environment through its endpoints file.
  const address = randomAddress()
  const funded = await runTs(MAIN, ['fund-btc', address, '0.25', '--endpoints', printed.endpointsFile])
  t.is(funded.code, 0, funded.stderr)
  const { txid } = JSON.parse(funded.stdout) as { txid: string }
  const tx = await rpc.getRawTransaction(txid)
  t.true(tx.confirmations >= 1, 'fund-btc returns once the payment is mined')
  const paid = bitcoin.Transaction.fromHex(tx.hex).outs.find(
    (out) => bitcoin.address.fromOutputScript(out.script, bitcoin.networks.regtest) === address,
  )
  t.is(paid?.value, 25_000_000n)

  const before = (await rpc.getBlockchainInfo()).medianTime
  const advanced = await runTs(MAIN, ['advance-time', '7200', '--endpoints', printed.endpointsFile])
  t.is(advanced.code, 0, advanced.stderr)
  t.true((await rpc.getBlockchainInfo()).medianTime >= before + 7200)

  const heightBeforeStop = (await rpc.getBlockchainInfo()).blocks
  const children = childPids(up.pid ?? 0)
  t.true(children.length >= 1, 'anvil runs as a child process')
  t.is(await stopChild(up, 'SIGTERM'), 0)
  await waitForExit(children)
  for (const pid of children) t.false(isAlive(pid), `child ${pid} was stopped`)

  // Restart on the same datadir: same chain, same contracts, same faucet.
  const again = spawnTs(MAIN, ['up', '--datadir', datadir, '--free-ports'])
  t.teardown(() => stopChild(again, 'SIGKILL'))
  const restarted = outputSchema.parse(JSON.parse(await firstLine(again, 60_000)))
  t.is(restarted.evm.htlcAddress, endpoints.evm.htlcAddress)
  t.is(restarted.bitcoin.faucetBirthday, endpoints.bitcoin.faucetBirthday)
  const rpcAgain = new BitcoinRpc({
    url: restarted.bitcoin.rpcUrl,
    auth: { user: restarted.bitcoin.rpcUser, password: restarted.bitcoin.rpcPassword },
  })
  t.is((await rpcAgain.getBlockchainInfo()).blocks, heightBeforeStop)
  t.is((await rpcAgain.getRawTransaction(txid)).txid, txid)
  t.is(await stopChild(again, 'SIGINT'), 0)
})

test.serial('up without --datadir: state is temporary and removed on Ctrl-C', async (t) => {
  const up = spawnTs(MAIN, ['up', '--free-ports'])
  t.teardown(() => stopChild(up, 'SIGKILL'))
  const printed = outputSchema.parse(JSON.parse(await firstLine(up, 60_000)))
  t.true(existsSync(printed.endpointsFile))
  t.is(await stopChild(up, 'SIGINT'), 0)
  t.false(existsSync(printed.datadir), 'the temporary data dir is gone')
})

test('control commands refuse bad input with a clear error and exit code 1', async (t) => {
  const cases: [string[], RegExp][] = [
    [['mine', '0'], /positive integer/],
    [
      ['fund-btc', 'not-an-address', '1', '--endpoints', '/nonexistent/endpoints.json'],
      /no regtest endpoints file/,
    ],
    [['fund-btc', randomAddress(), '1.123456789'], /at most 8 decimals/],
    [['advance-time', '-5'], /unknown option|positive integer|non-negative/],
  ]
  for (const [args, message] of cases) {
    const result = await runTs(MAIN, args)
    t.is(result.code, 1, args.join(' '))
    t.regex(result.stderr, message, args.join(' '))
  }
})

test.serial('npm run regtest: SIGTERM to npm stops every process it started', async (t) => {
  const up = spawn('npm', ['run', '--silent', 'regtest', '--', '--free-ports'], {
    cwd: new URL('../..', import.meta.url).pathname,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.teardown(() => stopChild(up, 'SIGKILL'))
  outputSchema.parse(JSON.parse(await firstLine(up, 60_000)))
  const descendants = descendantPids(up.pid ?? 0)
  t.true(descendants.length >= 3, 'npm runs tsx, node and anvil')
  await stopChild(up, 'SIGTERM')
  await waitForExit(descendants)
  for (const pid of descendants) t.false(isAlive(pid), `process ${pid} was stopped`)
})
