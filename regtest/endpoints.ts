import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { z } from 'zod'
import { SwarmswapError } from '../src/errors.js'

/**
 * Well-known regtest settings. `npm run regtest` and docker-compose.yml use the same ports and
 * credentials, so every tool finds either environment without configuration. Regtest coins are
 * worthless and every service binds 127.0.0.1 only, so a fixed RPC password is acceptable here.
 */
export const REGTEST_DEFAULTS = {
  bitcoinRpcPort: 18443,
  bitcoinRpcUser: 'swarmswap',
  bitcoinRpcPassword: 'regtest',
  evmRpcPort: 8545,
  evmChainId: 31337,
  dhtPort: 49737,
} as const

/**
 * Funds regtest users on both chains. The Bitcoin faucet is an HD wallet on this public development
 * mnemonic; the EVM faucet is anvil's (and Foundry's) first development account. Regtest only.
 */
export const FAUCET = {
  bitcoinMnemonic: 'test test test test test test test test test test test junk',
  evmPrivateKey: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
} as const

const hostPort = z.string().regex(/^[\w.-]+:\d{1,5}$/, 'expected host:port')
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x address')

export const regtestEndpointsSchema = z.object({
  network: z.literal('regtest'),
  bitcoin: z.object({
    rpcUrl: z.url(),
    rpcUser: z.string().min(1),
    rpcPassword: z.string().min(1),
    /** Height at which the faucet wallet's first coin was mined; its scans start there. */
    faucetBirthday: z.number().int().nonnegative(),
  }),
  evm: z.object({
    rpcUrl: z.url(),
    chainId: z.number().int().positive(),
    htlcAddress: address,
    tokenAddress: address,
  }),
  dht: z.object({ bootstrap: z.array(hostPort).min(1) }),
})

/** Everything a client needs to reach a running regtest environment; printed and written as one JSON line. */
export type RegtestEndpoints = z.infer<typeof regtestEndpointsSchema>

/** Atomically replaces `file` with the endpoints (a reader never sees half a file). */
export async function writeEndpoints(file: string, endpoints: RegtestEndpoints): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  const temporary = `${file}.tmp`
  await writeFile(temporary, `${JSON.stringify(endpoints)}\n`, { mode: 0o600 })
  await rename(temporary, file)
}

export async function readEndpoints(file: string): Promise<RegtestEndpoints> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new SwarmswapError(
      'NOT_FOUND',
      `no regtest endpoints file at ${file}: is \`npm run regtest\` running?`,
      {
        cause: error,
      },
    )
  }
  const parsed = regtestEndpointsSchema.safeParse(JSON.parse(text))
  if (!parsed.success) {
    throw new SwarmswapError(
      'INVALID_ARGUMENT',
      `bad regtest endpoints file ${file}: ${z.prettifyError(parsed.error)}`,
    )
  }
  return parsed.data
}
