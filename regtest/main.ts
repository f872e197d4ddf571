import { Command, InvalidArgumentError } from 'commander'
import { defaultEndpoints } from '../src/daemon/networks.js'
import { SwarmswapError } from '../src/errors.js'
import { DECIMALS, parseAmount } from '../src/money.js'
import type { MiningMode } from './bitcoin-node.js'
import { RegtestControl } from './control.js'
import { REGTEST_DEFAULTS, readEndpoints } from './endpoints.js'
import { initializeChains, RegtestEnv } from './env.js'

/**
 * `npm run regtest [-- <command>]`: starts the regtest environment (default command `up`), or acts on
 * a running one (embedded or docker-compose) through its JSON-RPC endpoints.
 */
const program = new Command()
  .name('npm run regtest --')
  .description('The swarmswap regtest environment: Bitcoin and EVM devnets and a local DHT, on 127.0.0.1.')
  .showHelpAfterError()

program
  .command('up', { isDefault: true })
  .description('start everything, print one JSON line of endpoints, run until Ctrl-C / SIGTERM')
  .option('--datadir <dir>', 'keep chain state here across restarts (default: a temporary directory)')
  .option('--btc-mining <mode>', 'automine | manual | a block interval in seconds', parseMining, {
    mode: 'automine',
  } as MiningMode)
  .option(
    '--evm-block-time <seconds>',
    'EVM block interval (default: a block per transaction)',
    positiveInteger,
  )
  .option('--free-ports', 'bind free ports instead of the well-known ones (to run several environments)')
  .action(
    async (options: {
      datadir?: string
      btcMining: MiningMode
      evmBlockTime?: number
      freePorts?: boolean
    }) => {
      const env = new RegtestEnv({
        datadir: options.datadir,
        ports: options.freePorts === true ? 'free' : 'defaults',
        bitcoinMining: options.btcMining,
        evmBlockTime: options.evmBlockTime,
      })
      let stopping = false
      const stop = async (signal: string) => {
        if (stopping) return
        stopping = true
        process.stderr.write(`regtest: ${signal}, stopping\n`)
        await env.close()
        process.exit(0)
      }
      process.on('SIGINT', () => void stop('SIGINT'))
      process.on('SIGTERM', () => void stop('SIGTERM'))
      try {
        await env.ready()
      } catch (error) {
        await env.close()
        throw error
      }
      process.stdout.write(
        `${JSON.stringify({ ...env.endpoints, datadir: env.datadir, endpointsFile: env.endpointsFile })}\n`,
      )
      process.stderr.write(`regtest: up (endpoints in ${env.endpointsFile}); Ctrl-C stops it\n`)
    },
  )

program
  .command('init')
  .description('prepare chains started elsewhere (docker compose up): fund the faucet, deploy the contracts')
  .action(async () => {
    const endpoints = await initializeChains({
      bitcoin: {
        rpcUrl: `http://127.0.0.1:${REGTEST_DEFAULTS.bitcoinRpcPort}`,
        rpcUser: REGTEST_DEFAULTS.bitcoinRpcUser,
        rpcPassword: REGTEST_DEFAULTS.bitcoinRpcPassword,
      },
      evm: {
        rpcUrl: `http://127.0.0.1:${REGTEST_DEFAULTS.evmRpcPort}`,
        chainId: REGTEST_DEFAULTS.evmChainId,
      },
      dht: { bootstrap: [`127.0.0.1:${REGTEST_DEFAULTS.dhtPort}`] },
      previous: null,
    })
    process.stdout.write(`${JSON.stringify(endpoints)}\n`)
  })

withControl('mine <count>', 'mine Bitcoin blocks (to --address or the faucet)', (command) =>
  command.option('--address <address>', 'coinbase address'),
).action(async (count: string, options: ControlOptions & { address?: string }) => {
  await control(options, async (c) =>
    print({ blocks: await c.mineBitcoin(positiveInteger(count), options.address) }),
  )
})

withControl('fund-btc <address> <btc>', 'send BTC from the faucet (confirmed on return)').action(
  async (address: string, amount: string, options: ControlOptions) => {
    await control(options, async (c) =>
      print({ txid: await c.fundBitcoin(address, parseAmount(amount, DECIMALS.BTC)) }),
    )
  },
)

withControl('fund-eth <address> <eth>', 'send ETH from the faucet account').action(
  async (address: string, amount: string, options: ControlOptions) => {
    await control(options, async (c) =>
      print({ txHash: await c.fundEth(address, parseAmount(amount, DECIMALS.ETH)) }),
    )
  },
)

withControl('mint-token <address> <amount>', 'mint test tokens (18 decimals)').action(
  async (address: string, amount: string, options: ControlOptions) => {
    await control(options, async (c) => {
      await c.mintToken(address, parseAmount(amount, DECIMALS.ETH))
      print({ minted: amount, token: c.endpoints.evm.tokenAddress })
    })
  },
)

withControl('advance-time <seconds>', 'move both chains’ clocks forward').action(
  async (seconds: string, options: ControlOptions) => {
    await control(options, async (c) => print({ time: await c.advanceTime(nonNegativeInteger(seconds)) }))
  },
)

interface ControlOptions {
  endpoints?: string
}

function withControl(
  spec: string,
  description: string,
  extra: (command: Command) => Command = (c) => c,
): Command {
  return extra(
    program
      .command(spec)
      .description(description)
      .option(
        '--endpoints <file>',
        'endpoints.json of the environment (default: the well-known regtest ports)',
      ),
  )
}

async function control(
  options: ControlOptions,
  act: (control: RegtestControl) => Promise<void>,
): Promise<void> {
  const endpoints =
    options.endpoints === undefined ? defaultEndpoints() : await readEndpoints(options.endpoints)
  const regtest = new RegtestControl(endpoints)
  try {
    await act(regtest)
  } finally {
    await regtest.close()
  }
}

function print(result: unknown): void {
  process.stdout.write(`${JSON.stringify(result)}\n`)
}

function positiveInteger(text: string): number {
  const value = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError('expected a positive integer')
  }
  return value
}

function nonNegativeInteger(text: string): number {
  return text === '0' ? 0 : positiveInteger(text)
}

function parseMining(text: string): MiningMode {
  if (text === 'automine' || text === 'manual') return { mode: text }
  return { mode: 'interval', seconds: positiveInteger(text) }
}

try {
  await program.parseAsync()
} catch (error) {
  const message = error instanceof SwarmswapError ? `${error.code}: ${error.message}` : String(error)
  process.stderr.write(`regtest: ${message}\n`)
  process.exitCode = 1
}
