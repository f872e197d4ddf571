import { Command, CommanderError, Option } from 'commander'
import { isSwarmswapApiError } from '../sdk/errors.js'
import { VERSION } from '../version.js'
import { NETWORK_NAMES, parseNetwork } from './args.js'
import { addCommands } from './commands.js'
import { type CliIo, CommandFailed } from './context.js'

/** Exit codes: 0 success, 1 the command failed (daemon, chain, swap), 2 bad usage (arguments, options). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const

/** The `swarmswap` command tree, writing to `io`; errors are thrown (exitOverride), not printed. */
export function buildProgram(io: CliIo): Command {
  const program = new Command()
    .name('swarmswap')
    .description('Command-line client of the swarmswap daemon (swarmswapd): wallet, markets, orders, swaps.')
    .version(VERSION)
    .addOption(
      new Option('--datadir <dir>', "the daemon's data dir (default: the network's, as swarmswapd uses)").env(
        'SWARMSWAP_DATADIR',
      ),
    )
    .addOption(
      new Option('--network <name>', `which daemon: ${NETWORK_NAMES.join(', ')} (default regtest)`)
        .env('SWARMSWAP_NETWORK')
        .argParser(parseNetwork),
    )
    .option('--rpc-url <url>', "the daemon's API URL, instead of the data dir's api.json")
    .option('--cookie-file <file>', 'the cookie file to authenticate with (goes with --rpc-url)')
    .option('--json', 'print one JSON object on stdout (errors stay one line on stderr)')
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text.trimEnd()),
      // Commander's own error output is replaced by the one-line error of runCli.
      writeErr: () => {},
      outputError: () => {},
    })
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ swarmswap info\n' +
        '  $ swarmswap book BTC ETH\n' +
        '  $ swarmswap order place sell BTC ETH 0.1 20\n' +
        '  $ swarmswap take <orderId> && swarmswap swaps watch <swapId>\n' +
        '  $ swarmswap --datadir /tmp/maker --json wallet balance\n' +
        "\nRun 'swarmswap <command> --help' for a command's arguments and examples.",
    )
  addCommands(program, io)
  return program
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code; errors are one stderr line. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io)
  try {
    await program.parseAsync(argv, { from: 'user' })
    return EXIT.ok
  } catch (error) {
    const { code, message } = describeFailure(error, program, argv)
    if (message !== null) io.err(`swarmswap: ${message}`)
    return code
  }
}

function describeFailure(
  error: unknown,
  program: Command,
  argv: readonly string[],
): { code: number; message: string | null } {
  if (error instanceof CommanderError) {
    if (error.exitCode === 0) return { code: EXIT.ok, message: null } // --help, --version
    if (error.code === 'commander.help') {
      const path = ['swarmswap', ...commandPath(program, argv)].join(' ')
      return { code: EXIT.usage, message: `missing command: see '${path} --help'` }
    }
    return { code: EXIT.usage, message: commanderMessage(error.message) }
  }
  if (error instanceof CommandFailed) return { code: EXIT.failed, message: oneLine(error.message) }
  if (isSwarmswapApiError(error)) {
    const usage = error.code === 'INVALID_ARGUMENT' || error.code === 'INVALID_PARAMS'
    return { code: usage ? EXIT.usage : EXIT.failed, message: oneLine(error.message) }
  }
  const message = error instanceof Error ? error.message : String(error)
  return { code: EXIT.failed, message: oneLine(`unexpected error: ${message}`) }
}

/** The (sub)command names `argv` walks through, e.g. ['wallet'] for `swarmswap --json wallet`. */
function commandPath(program: Command, argv: readonly string[]): string[] {
  const path: string[] = []
  let current = program
  for (const word of argv) {
    const next = current.commands.find((command) => command.name() === word)
    if (next === undefined) continue
    path.push(word)
    current = next
  }
  return path
}

/** "error: command-argument value 'x' is invalid for argument 'amount'. why" → "invalid <amount> 'x': why". */
function commanderMessage(text: string): string {
  const line = oneLine(text.replace(/^error: /, ''))
  const argument = /^command-argument value '(.*)' is invalid for argument '(\w+)'\. (.*)$/.exec(line)
  return argument === null ? line : `invalid <${argument[2]}> '${argument[1]}': ${argument[3]}`
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim()
}
