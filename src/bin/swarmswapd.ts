import { readFile, writeFile } from 'node:fs/promises'
import { Command, Option } from 'commander'
import pino from 'pino'
import { envOf, flagOf, LOG_LEVELS, loadConfig, SETTING_NAMES, type SettingName } from '../daemon/config.js'
import { readPassword } from '../daemon/password.js'
import { SwarmswapError } from '../errors.js'
import { VERSION } from '../version.js'

/** Help text of each setting's flag; the value is validated by the config schema, not here. */
const SETTING_HELP: Record<SettingName, [value: string, help: string]> = {
  network: ['name', 'regtest (default), testnet or mainnet'],
  datadir: ['dir', 'data directory (default: the platform data dir/swarmswap/<network>)'],
  apiPort: ['port', 'local API port (default regtest 18680, testnet 18681, mainnet 8680; 0: any free port)'],
  logLevel: ['level', `log level: ${LOG_LEVELS.join(', ')} (default info)`],
  endpoints: ['file', 'regtest endpoints.json written by `npm run regtest` (default: its well-known ports)'],
  bitcoinRpcUrl: ['url', 'Bitcoin Core JSON-RPC URL'],
  bitcoinRpcUser: ['user', 'Bitcoin RPC user'],
  bitcoinRpcPassword: ['password', 'Bitcoin RPC password (prefer the env variable or config.json)'],
  bitcoinRpcCookieFile: ['file', "Bitcoin Core's .cookie file instead of user and password"],
  evmRpcUrl: ['url', 'EVM JSON-RPC URL'],
  evmChainId: ['id', 'EVM chain id'],
  evmHtlcAddress: ['address', 'address of the swarmswap HTLC contract'],
  dhtBootstrap: ['list', 'comma-separated host:port DHT bootstrap nodes'],
  tokens: ['list', 'comma-separated ERC-20 addresses shown in wallet.balance'],
}

const program = new Command()
  .name('swarmswapd')
  .description(
    'The swarmswap trading daemon: finds order books over the Hyperswarm DHT, negotiates trades with peers ' +
      'and settles them by HTLC atomic swap between Bitcoin and an EVM chain, with no custodian. ' +
      'Serves the local JSON-RPC API used by the swarmswap CLI and SDK.',
  )
  .version(VERSION)
  // Usage errors as one line, like every other refusal of the daemon.
  .configureOutput({
    outputError: (text, write) =>
      write(
        `swarmswapd: ${text
          .replace(/^error: /, '')
          .trim()
          .replace(/\s*\n\s*/g, ' ')}\n`,
      ),
  })
for (const key of SETTING_NAMES) {
  const [value, help] = SETTING_HELP[key]
  program.addOption(new Option(`${flagOf(key)} <${value}>`, help).env(envOf(key)))
}
program
  .option(
    '--password-file <file>',
    'read the seed password from this file (else SWARMSWAP_PASSWORD, else a prompt)',
  )
  .option(
    '--mnemonic-file <file>',
    'restore the wallet from the BIP39 words in this file (new data dir only)',
  )
  .option('--print-words-to <file>', 'write the backup words of a new seed to this file instead of stderr')
  .addHelpText(
    'after',
    `
Settings come from flags, then SWARMSWAP_* environment variables, then <datadir>/config.json (same names in
camelCase, e.g. {"apiPort": 18690}), then the network's defaults.

Examples:
  swarmswapd                                   regtest, against \`npm run regtest\` on its well-known ports
  swarmswapd --endpoints /tmp/r/endpoints.json --datadir /tmp/alice --api-port 0 --password-file pw.txt
  swarmswapd --network testnet --bitcoin-rpc-url http://127.0.0.1:18332 --bitcoin-rpc-cookie-file \\
             ~/.bitcoin/testnet3/.cookie --evm-rpc-url https://rpc.example --evm-chain-id 11155111 \\
             --evm-htlc-address 0x...`,
  )
  .action(async (options: Record<string, string | undefined>) => {
    const flags = Object.fromEntries(
      SETTING_NAMES.flatMap((key) =>
        // Commander also reads the env variables; here only real flags count, so the source is named right.
        program.getOptionValueSource(key) === 'cli' && options[key] !== undefined
          ? [[key, options[key]]]
          : [],
      ),
    )
    const config = await loadConfig({ flags, env: process.env })
    const log = pino(
      { level: config.logLevel, base: { pid: process.pid } },
      pino.destination({ fd: 2, sync: true }),
    )
    process.on('warning', (warning) => log.warn({ err: warning }, warning.message))
    const restoreWords =
      options.mnemonicFile === undefined ? undefined : await readText(options.mnemonicFile, 'mnemonic file')
    // The whole trading stack loads only now: --help and configuration errors answer at once.
    const { Daemon } = await import('../daemon/daemon.js')
    const daemon = new Daemon({
      config,
      log,
      keys: {
        password: ({ creating }) =>
          readPassword(
            {
              ...(options.passwordFile === undefined ? {} : { file: options.passwordFile }),
              ...(process.env.SWARMSWAP_PASSWORD === undefined
                ? {}
                : { env: process.env.SWARMSWAP_PASSWORD }),
              terminal: { input: process.stdin, output: process.stderr },
            },
            creating,
          ),
        ...(restoreWords === undefined ? {} : { restoreWords }),
        showWords: (words) => showWords(words, options.printWordsTo),
      },
    })
    const started = daemon.start()
    let stopping = false
    const stop = async (signal: NodeJS.Signals) => {
      if (stopping) return
      stopping = true
      log.info({ signal }, 'stopping')
      await started.catch(() => {})
      await daemon.stop()
      log.info('stopped; every swap resumes on the next start')
      process.exit(0)
    }
    process.on('SIGINT', (signal) => void stop(signal))
    process.on('SIGTERM', (signal) => void stop(signal))
    await started
  })

/** The backup words, once: to a new file (mode 0600) or to stderr. */
async function showWords(words: string, file: string | undefined): Promise<void> {
  if (file !== undefined) {
    await writeFile(file, `${words}\n`, { mode: 0o600, flag: 'wx' })
    return
  }
  process.stderr.write(
    `\nNew wallet. Write down these ${words.split(' ').length} words, in order; they restore all funds and are never shown again:\n\n  ${words}\n\n`,
  )
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    throw new SwarmswapError('INVALID_ARGUMENT', `cannot read the ${what}: ${(error as Error).message}`)
  }
}

try {
  await program.parseAsync()
} catch (error) {
  const message = error instanceof SwarmswapError ? error.message : String(error)
  process.stderr.write(`swarmswapd: ${message.replace(/\s*\n\s*/g, ' ')}\n`)
  process.exit(1)
}
