import test from 'ava'
import type { Command } from 'commander'
import { runCli as runBinary } from '../../regtest/daemon-scene.js'
import type { CliIo } from '../../src/cli/context.js'
import { buildProgram, runCli } from '../../src/cli/program.js'

/** Runs the CLI in-process and captures what it writes. */
async function run(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = []
  const err: string[] = []
  const io: CliIo = { out: (text) => out.push(text), err: (text) => err.push(text), now: () => 1_795_000_000 }
  const code = await runCli(argv, io)
  return { code, out, err }
}

const ID = 'ab'.repeat(32)
// A data dir where no daemon runs: commands that pass argument checks fail to connect (exit 1), usage errors
// must fail before that (exit 2).
const NOWHERE = ['--datadir', '/nonexistent/swarmswap']

const usageErrors: { argv: string[]; message: RegExp }[] = [
  { argv: [], message: /^swarmswap: missing command: see 'swarmswap --help'$/ },
  { argv: ['wallet'], message: /^swarmswap: missing command: see 'swarmswap wallet --help'$/ },
  { argv: ['--json', 'swaps'], message: /^swarmswap: missing command: see 'swarmswap swaps --help'$/ },
  { argv: ['bogus'], message: /^swarmswap: unknown command 'bogus'$/ },
  { argv: ['boook'], message: /^swarmswap: unknown command 'boook' \(Did you mean book\?\)$/ },
  { argv: ['info', '--bogus'], message: /^swarmswap: unknown option '--bogus'$/ },
  { argv: ['book', 'BTC'], message: /^swarmswap: missing required argument 'quote'$/ },
  {
    argv: ['book', 'BTC', 'DOGE'],
    message: /^swarmswap: invalid <quote> 'DOGE': expected BTC, ETH or ERC20/,
  },
  {
    argv: ['book', 'BTC', 'ETH', '--depth', '0'],
    message: /--depth <n>.*expected a whole number from 1 to 1000$/,
  },
  {
    argv: ['order', 'place', 'sell', 'BTC', 'ETH', '1e3', '20'],
    message: /^swarmswap: invalid <amount> '1e3': expected a decimal number such as 0\.5/,
  },
  {
    argv: ['order', 'place', 'sell', 'BTC', 'ETH', '0.1', '-20'],
    message: /^swarmswap: invalid <price> '-20': expected a decimal number/,
  },
  {
    argv: ['order', 'place', 'sell', 'BTC', 'ETH', '0.1', '0'],
    message: /invalid <price> '0': must be greater than 0$/,
  },
  {
    argv: ['order', 'place', 'short', 'BTC', 'ETH', '0.1', '20'],
    message: /invalid <side> 'short': expected sell or buy$/,
  },
  {
    argv: ['order', 'place', 'sell', 'BTC', 'ETH', '0.1', '20', '--min-fill', '0,05'],
    message: /--min-fill <amount>.*expected a decimal number/,
  },
  {
    argv: ['order', 'place', 'sell', 'BTC', 'ETH', '0.1', '20', '--expires-in', '5'],
    message: /--expires-in <seconds>.*expected a whole number from 10 to 2592000$/,
  },
  { argv: ['order', 'cancel', 'xyz'], message: /invalid <orderId> 'xyz': expected an id of 64 hex digits$/ },
  { argv: ['take', ID, '0'], message: /invalid <amount> '0': must be greater than 0$/ },
  { argv: ['take', ID, '1', 'extra'], message: /too many arguments/ },
  { argv: ['swaps', 'show', ID.slice(1)], message: /invalid <swapId> .*64 hex digits$/ },
  { argv: ['wallet', 'address', 'solana'], message: /invalid <chain> 'solana': expected bitcoin or evm$/ },
  { argv: ['wallet', 'withdraw', 'BTC', 'bcrt1qxyz'], message: /missing required argument 'amount'$/ },
  {
    argv: ['--network', 'signet', 'info'],
    message: /--network <name>.*expected one of regtest, testnet, mainnet$/,
  },
  {
    argv: ['--rpc-url', 'http://127.0.0.1:1', 'info'],
    message: /^swarmswap: --rpc-url and --cookie-file go together$/,
  },
]

for (const { argv, message } of usageErrors) {
  test(`usage error: swarmswap ${argv.join(' ')}`, async (t) => {
    const result = await run([...NOWHERE, ...argv])
    t.is(result.code, 2)
    t.deepEqual(result.out, [])
    t.is(result.err.length, 1)
    t.regex(result.err[0] ?? '', message)
    t.false((result.err[0] ?? '').includes('\n'))
  })
}

test('a daemon that is not running is one clear line and exit 1', async (t) => {
  const result = await run([...NOWHERE, '--json', 'info'])
  t.is(result.code, 1)
  t.deepEqual(result.out, [])
  t.deepEqual(result.err, [
    'swarmswap: cannot read /nonexistent/swarmswap/api.json: is swarmswapd running on this data dir?',
  ])
})

test('a cookie file that cannot be read is one clear line and exit 1', async (t) => {
  const result = await run([
    '--rpc-url',
    'http://127.0.0.1:1',
    '--cookie-file',
    '/nonexistent/.cookie',
    'peers',
  ])
  t.is(result.code, 1)
  t.deepEqual(result.err, ['swarmswap: cannot read the cookie file /nonexistent/.cookie'])
})

/** Every command that does something (no subcommands), with its full name. */
function leafCommands(command: Command, prefix: string[] = []): string[][] {
  return command.commands.flatMap((sub) =>
    sub.commands.length === 0 ? [[...prefix, sub.name()]] : leafCommands(sub, [...prefix, sub.name()]),
  )
}

const leaves = leafCommands(buildProgram({ out: () => {}, err: () => {}, now: () => 0 }))

test('the CLI has every command of the issue', (t) => {
  t.deepEqual(leaves.map((path) => path.join(' ')).sort(), [
    'book',
    'info',
    'markets join',
    'markets leave',
    'markets list',
    'order cancel',
    'order list',
    'order place',
    'peers',
    'refund',
    'swaps list',
    'swaps show',
    'swaps watch',
    'take',
    'wallet address',
    'wallet balance',
    'wallet withdraw',
  ])
})

for (const path of leaves) {
  test(`swarmswap ${path.join(' ')} --help shows usage and examples, exit 0`, async (t) => {
    const result = await run([...path, '--help'])
    t.is(result.code, 0)
    t.deepEqual(result.err, [])
    const help = result.out.join('\n')
    t.regex(help, new RegExp(`^Usage: swarmswap ${path.join(' ')}`))
    t.regex(help, new RegExp(`Examples:\\n  \\$ swarmswap ${path[0]}`))
  })
}

test('the real binary: a usage error is exit 2 and exactly one line on stderr, nothing on stdout', async (t) => {
  const result = await runBinary([...NOWHERE, 'order', 'place', 'sell', 'BTC', 'ETH', '1e3', '20'])
  t.is(result.code, 2)
  t.is(result.stdout, '')
  t.is(
    result.stderr,
    "swarmswap: invalid <amount> '1e3': expected a decimal number such as 0.5 (no sign, exponent or separators)\n",
  )
})

test('the real binary: no daemon is exit 1 and one line, also with --json', async (t) => {
  const result = await runBinary([...NOWHERE, '--json', 'wallet', 'balance'])
  t.is(result.code, 1)
  t.is(result.stdout, '')
  t.is(result.stderr.split('\n').length, 2, result.stderr)
  t.regex(result.stderr, /^swarmswap: cannot read .*api\.json: is swarmswapd running on this data dir\?\n$/)
})

test('the real binary: --help exits 0', async (t) => {
  const result = await runBinary(['--help'])
  t.is(result.code, 0)
  t.regex(result.stdout, /^Usage: swarmswap /)
})
