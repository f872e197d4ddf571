import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { defaultDatadir } from '../api/paths.js'
import { SwarmswapClient, type SwarmswapClientOptions } from '../sdk/client.js'
import { SwarmswapApiError } from '../sdk/errors.js'
import type { NetworkName } from './args.js'

/** Where the CLI writes; tests pass their own to run it in-process. */
export interface CliIo {
  /** One whole piece of output; a newline is added. */
  out(text: string): void
  err(text: string): void
  /** Unix seconds, for "in 9m 30s". */
  now(): number
}

export interface GlobalOptions {
  datadir?: string
  network?: NetworkName
  rpcUrl?: string
  cookieFile?: string
  json?: boolean
}

/** What a command produced: `json` for --json, `text` for people; `failure` makes the exit code non-zero. */
export interface Outcome {
  json: unknown
  text: string
  failure?: string
}

export type Action = (client: SwarmswapClient, command: Command, io: CliIo) => Promise<Outcome>

/** A failure of the command after its output was printed (e.g. a watched swap that refunded): exit 1. */
export class CommandFailed extends Error {}

/**
 * Wraps a command's action: builds the client from the global options, runs the action, prints its outcome
 * (one JSON object with --json) and closes the client.
 */
export function act(io: CliIo, run: Action): (...args: unknown[]) => Promise<void> {
  return async (...args) => {
    const command = args.at(-1) as Command
    const globals = command.optsWithGlobals<GlobalOptions>()
    const client = new SwarmswapClient(await clientOptions(globals))
    try {
      const outcome = await run(client, command, io)
      io.out(globals.json === true ? JSON.stringify(outcome.json) : outcome.text)
      if (outcome.failure !== undefined) throw new CommandFailed(outcome.failure)
    } finally {
      await client.close()
    }
  }
}

/**
 * The daemon to talk to: --rpc-url with --cookie-file, else the data dir (--datadir, or the network's default),
 * where swarmswapd writes api.json and .cookie.
 */
export async function clientOptions(globals: GlobalOptions): Promise<SwarmswapClientOptions> {
  if ((globals.rpcUrl === undefined) !== (globals.cookieFile === undefined)) {
    throw new SwarmswapApiError('INVALID_ARGUMENT', '--rpc-url and --cookie-file go together')
  }
  if (globals.rpcUrl !== undefined && globals.cookieFile !== undefined) {
    return { url: globals.rpcUrl, cookie: await readCookie(globals.cookieFile) }
  }
  return { datadir: globals.datadir ?? defaultDatadir(globals.network ?? 'regtest') }
}

async function readCookie(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    throw new SwarmswapApiError('UNREACHABLE', `cannot read the cookie file ${file}`, { cause: error })
  }
}
