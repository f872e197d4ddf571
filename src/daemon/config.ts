import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { readEndpoints } from '../../regtest/endpoints.js'
import { DATADIR_FILES, defaultDatadir, type PlatformInfo } from '../api/paths.js'
import type { BitcoinRpcAuth } from '../chains/bitcoin/rpc.js'
import { SwarmswapError } from '../errors.js'
import { NETWORKS } from '../orderbook/market.js'
import type { NetworkName } from '../orderbook/types.js'
import type { DhtPeerAddress } from '../p2p/swarm.js'
import { DEFAULT_API_PORTS, defaultEndpoints } from './networks.js'

/** Flags and environment variables are text: integers and comma-separated lists are read from it here. */
const integer = (min: number, max: number, what: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v),
    z
      .number({ error: `expected ${what}` })
      .int(`expected ${what}`)
      .min(min, `expected ${what}`)
      .max(max, `expected ${what}`),
  )
const list = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (v) =>
      typeof v === 'string'
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== '')
        : v,
    z.array(item).min(1),
  )
const evmAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x address of 40 hex digits')
const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' })

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/**
 * Every setting of the daemon. The same names are the keys of `<datadir>/config.json`, the flags in
 * kebab-case (--api-port) and the environment variables in SWARMSWAP_ + upper snake case (SWARMSWAP_API_PORT).
 */
export const settingsSchema = z.strictObject({
  network: z.enum(NETWORKS, { error: `expected one of ${NETWORKS.join(', ')}` }),
  datadir: z.string().min(1),
  apiPort: integer(0, 65535, 'a port number from 0 to 65535'),
  logLevel: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }),
  /** A regtest endpoints.json (what `npm run regtest` and RegtestEnv write). */
  endpoints: z.string().min(1),
  bitcoinRpcUrl: httpUrl,
  bitcoinRpcUser: z.string().min(1),
  bitcoinRpcPassword: z.string().min(1),
  /** Bitcoin Core's .cookie file, instead of user and password. */
  bitcoinRpcCookieFile: z.string().min(1),
  evmRpcUrl: httpUrl,
  evmChainId: integer(1, Number.MAX_SAFE_INTEGER, 'a positive integer chain id'),
  evmHtlcAddress: evmAddress,
  /** host:port of DHT bootstrap nodes; default Hyperswarm's public ones (regtest: the local one). */
  dhtBootstrap: list(z.string().regex(/^[\w.-]+:\d{1,5}$/, 'expected host:port')),
  /** ERC-20 tokens wallet.balance shows besides those of joined markets. */
  tokens: list(evmAddress),
})

export type Settings = z.infer<typeof settingsSchema>
export type SettingName = keyof Settings
export const SETTING_NAMES = Object.keys(settingsSchema.shape) as SettingName[]

export const flagOf = (key: SettingName) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`
export const envOf = (key: SettingName) => `SWARMSWAP_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`

export interface DaemonConfig {
  network: NetworkName
  datadir: string
  apiPort: number
  logLevel: (typeof LOG_LEVELS)[number]
  bitcoin: { rpcUrl: string; auth: BitcoinRpcAuth }
  evm: { rpcUrl: string; chainId: number; htlcAddress: string }
  dht: { bootstrap?: DhtPeerAddress[]; host?: string }
  /** Asset ids ('ERC20:0x' + lower-case hex) always shown by wallet.balance. */
  tokens: string[]
}

export interface ConfigSources {
  /** Parsed command-line flags by setting name (undefined = not given). */
  flags: Partial<Record<SettingName, string>>
  env: Record<string, string | undefined>
  platform?: PlatformInfo
}

type Source = { name: string; describe: (key: string) => string }

/**
 * The daemon's configuration: flags over SWARMSWAP_* environment variables over `<datadir>/config.json`
 * over the network's defaults. Any bad value fails with INVALID_ARGUMENT naming the setting and its source.
 */
export async function loadConfig(sources: ConfigSources): Promise<DaemonConfig> {
  const flags = parseSource(sources.flags, {
    name: 'flags',
    describe: (k) => `flag ${flagOf(k as SettingName)}`,
  })
  const fromEnv = Object.fromEntries(
    SETTING_NAMES.flatMap((key) => {
      const value = sources.env[envOf(key)]
      return value === undefined ? [] : [[key, value]]
    }),
  )
  const env = parseSource(fromEnv, { name: 'env', describe: (k) => `env ${envOf(k as SettingName)}` })
  const network = flags.network ?? env.network ?? 'regtest'
  const datadir = flags.datadir ?? env.datadir ?? defaultDatadir(network, sources.platform)
  const file = await readConfigFile(join(datadir, DATADIR_FILES.config), network)
  const merged: Partial<Settings> = { ...file, ...env, ...flags }
  const describe = (key: SettingName) =>
    flags[key] !== undefined
      ? `flag ${flagOf(key)}`
      : env[key] !== undefined
        ? `env ${envOf(key)}`
        : `"${key}" in ${join(datadir, DATADIR_FILES.config)}`
  const chains =
    network === 'regtest' ? await regtestChains(merged, describe) : realChains(merged, network, datadir)
  return {
    network,
    datadir,
    apiPort: merged.apiPort ?? DEFAULT_API_PORTS[network],
    logLevel: merged.logLevel ?? 'info',
    ...chains,
    tokens: [...new Set([...chains.tokens, ...(merged.tokens ?? [])].map((a) => `ERC20:${a.toLowerCase()}`))],
  }
}

function parseSource(values: Record<string, unknown>, source: Source): Partial<Settings> {
  const defined = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined))
  const parsed = settingsSchema.partial().safeParse(defined)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  if (issue?.code === 'unrecognized_keys') {
    throw configError(`unknown setting ${issue.keys.map((k) => `"${k}"`).join(', ')} in ${source.name}`)
  }
  const key = String(issue?.path[0] ?? '')
  throw configError(`bad value for ${source.describe(key)}: ${issue?.message ?? 'invalid'}`)
}

async function readConfigFile(path: string, network: NetworkName): Promise<Partial<Settings>> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw configError(`cannot read ${path}: ${(error as Error).message}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw configError(`${path} is not valid JSON: ${(error as Error).message}`)
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw configError(`${path} must hold one JSON object of settings`)
  }
  const settings = parseSource(json as Record<string, unknown>, {
    name: path,
    describe: (key) => `"${key}" in ${path}`,
  })
  if (settings.datadir !== undefined)
    throw configError(`"datadir" cannot be set in ${path} (it is in the datadir)`)
  if (settings.network !== undefined && settings.network !== network) {
    throw configError(`"network" in ${path} is ${settings.network}, but the daemon runs on ${network}`)
  }
  return settings
}

type Chains = Pick<DaemonConfig, 'bitcoin' | 'evm' | 'dht' | 'tokens'>

/** Regtest: the endpoints file (or the well-known ports), each value overridable by a setting. */
async function regtestChains(s: Partial<Settings>, describe: (key: SettingName) => string): Promise<Chains> {
  let endpoints = defaultEndpoints()
  if (s.endpoints !== undefined) {
    try {
      endpoints = await readEndpoints(s.endpoints)
    } catch (error) {
      throw configError(`bad ${describe('endpoints')}: ${(error as Error).message}`)
    }
  }
  return {
    bitcoin: {
      rpcUrl: s.bitcoinRpcUrl ?? endpoints.bitcoin.rpcUrl,
      auth: bitcoinAuth(s) ?? { user: endpoints.bitcoin.rpcUser, password: endpoints.bitcoin.rpcPassword },
    },
    evm: {
      rpcUrl: s.evmRpcUrl ?? endpoints.evm.rpcUrl,
      chainId: s.evmChainId ?? endpoints.evm.chainId,
      htlcAddress: s.evmHtlcAddress ?? endpoints.evm.htlcAddress,
    },
    dht: { bootstrap: (s.dhtBootstrap ?? endpoints.dht.bootstrap).map(hostPort), host: '127.0.0.1' },
    tokens: [endpoints.evm.tokenAddress],
  }
}

/** Testnet and mainnet: nothing is guessed; every chain endpoint must be configured. */
function realChains(s: Partial<Settings>, network: NetworkName, datadir: string): Chains {
  const required = <K extends SettingName>(key: K): NonNullable<Settings[K]> => {
    const value = s[key]
    if (value === undefined || value === null) {
      throw configError(
        `${network} needs ${key}: set ${flagOf(key)}, ${envOf(key)} or "${key}" in ${join(datadir, DATADIR_FILES.config)}`,
      )
    }
    return value as NonNullable<Settings[K]>
  }
  if (s.endpoints !== undefined) throw configError(`endpoints files are for regtest only, not ${network}`)
  const rpcUrl = required('bitcoinRpcUrl')
  const auth = bitcoinAuth(s)
  if (auth === undefined) {
    throw configError(
      `${network} needs Bitcoin RPC credentials: bitcoinRpcCookieFile, or bitcoinRpcUser and bitcoinRpcPassword`,
    )
  }
  return {
    bitcoin: { rpcUrl, auth },
    evm: {
      rpcUrl: required('evmRpcUrl'),
      chainId: required('evmChainId'),
      htlcAddress: required('evmHtlcAddress'),
    },
    dht: s.dhtBootstrap === undefined ? {} : { bootstrap: s.dhtBootstrap.map(hostPort) },
    tokens: [],
  }
}

function bitcoinAuth(s: Partial<Settings>): BitcoinRpcAuth | undefined {
  if (s.bitcoinRpcCookieFile !== undefined) return { cookieFile: s.bitcoinRpcCookieFile }
  if (s.bitcoinRpcUser === undefined && s.bitcoinRpcPassword === undefined) return undefined
  if (s.bitcoinRpcUser === undefined || s.bitcoinRpcPassword === undefined) {
    throw configError('bitcoinRpcUser and bitcoinRpcPassword go together')
  }
  return { user: s.bitcoinRpcUser, password: s.bitcoinRpcPassword }
}

function hostPort(text: string): DhtPeerAddress {
  const at = text.lastIndexOf(':')
  return { host: text.slice(0, at), port: Number(text.slice(at + 1)) }
}

function configError(message: string): SwarmswapError {
  return new SwarmswapError('INVALID_ARGUMENT', `config: ${message}`)
}
