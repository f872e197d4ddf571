import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { JsonRpcProvider, Wallet } from 'ethers'
import { BitcoinRpc } from '../src/chains/bitcoin/rpc.js'
import { BitcoinWallet } from '../src/chains/bitcoin/wallet.js'
import { EvmHtlc } from '../src/chains/evm/htlc.js'
import { deployTestToken } from '../src/chains/evm/token.js'
import { SwarmswapError } from '../src/errors.js'
import { Anvil } from './anvil.js'
import { BitcoinNode, type MiningMode } from './bitcoin-node.js'
import { RegtestControl } from './control.js'
import { DhtBootstrap } from './dht.js'
import {
  FAUCET,
  REGTEST_DEFAULTS,
  type RegtestEndpoints,
  readEndpoints,
  writeEndpoints,
} from './endpoints.js'
import { freePort } from './ports.js'

export interface RegtestEnvOptions {
  /** Keeps chain state across restarts; omitted means a temporary directory removed on close. */
  datadir?: string
  /** 'defaults' binds the well-known regtest ports (as docker-compose does); 'free' picks free ones (tests). */
  ports?: 'defaults' | 'free'
  bitcoinMining?: MiningMode
  /** Seconds between EVM blocks; omitted means a block per transaction. */
  evmBlockTime?: number
}

/** Blocks mined to the faucet on a new chain: 10 mature coinbases to fund users from. */
const FAUCET_INITIAL_BLOCKS = 110

/**
 * The whole regtest environment in one object, on loopback only: a Bitcoin node (bcoin answering like
 * Bitcoin Core), an anvil devnet, a local HyperDHT bootstrap network, the HTLC and test-token contracts
 * and funded faucets. `ready()` and `close()` are safe to call twice; close stops every process it started.
 */
export class RegtestEnv {
  readonly options: RegtestEnvOptions
  private bitcoinNode: BitcoinNode | null = null
  private anvil: Anvil | null = null
  private dht: DhtBootstrap | null = null
  private controller: RegtestControl | null = null
  private current: RegtestEndpoints | null = null
  private directory: string | null = null
  private opening: Promise<void> | null = null
  private closing: Promise<void> | null = null

  constructor(options: RegtestEnvOptions = {}) {
    this.options = options
  }

  get endpoints(): RegtestEndpoints {
    return this.running().endpoints
  }

  /** Where the endpoints JSON is written (inside the data directory). */
  get endpointsFile(): string {
    if (this.directory === null) throw new SwarmswapError('CLOSED', 'RegtestEnv is not ready')
    return join(this.directory, 'endpoints.json')
  }

  get datadir(): string {
    if (this.directory === null) throw new SwarmswapError('CLOSED', 'RegtestEnv is not ready')
    return this.directory
  }

  get control(): RegtestControl {
    return this.running().control
  }

  ready(): Promise<void> {
    if (this.closing !== null) return Promise.reject(new SwarmswapError('CLOSED', 'RegtestEnv was closed'))
    this.opening ??= this.open()
    return this.opening
  }

  close(): Promise<void> {
    this.closing ??= this.stop()
    return this.closing
  }

  private async open(): Promise<void> {
    this.directory = this.options.datadir ?? (await mkdtemp(join(tmpdir(), 'swarmswap-regtest-')))
    const fixedPorts = this.options.ports !== 'free'
    const previous = existsSync(this.endpointsFile) ? await readEndpoints(this.endpointsFile) : null

    this.bitcoinNode = new BitcoinNode({
      port: fixedPorts ? REGTEST_DEFAULTS.bitcoinRpcPort : await freePort(),
      datadir: join(this.directory, 'bitcoin'),
      mining: this.options.bitcoinMining ?? { mode: 'automine' },
      rpcUser: REGTEST_DEFAULTS.bitcoinRpcUser,
      rpcPassword: fixedPorts ? REGTEST_DEFAULTS.bitcoinRpcPassword : undefined,
    })
    this.anvil = new Anvil({
      port: fixedPorts ? REGTEST_DEFAULTS.evmRpcPort : undefined,
      chainId: REGTEST_DEFAULTS.evmChainId,
      stateFile: join(this.directory, 'anvil-state.json'),
      blockTime: this.options.evmBlockTime,
    })
    this.dht = new DhtBootstrap({ port: fixedPorts ? REGTEST_DEFAULTS.dhtPort : undefined })
    await Promise.all([this.bitcoinNode.ready(), this.anvil.ready(), this.dht.ready()])

    this.current = await initializeChains({
      bitcoin: {
        rpcUrl: this.bitcoinNode.rpcUrl,
        rpcUser: this.bitcoinNode.rpcUser,
        rpcPassword: this.bitcoinNode.rpcPassword,
      },
      evm: { rpcUrl: this.anvil.rpcUrl, chainId: REGTEST_DEFAULTS.evmChainId },
      dht: { bootstrap: this.dht.bootstrap.map(({ host, port }) => `${host}:${port}`) },
      previous,
    })
    await writeEndpoints(this.endpointsFile, this.current)
    this.controller = new RegtestControl(this.current)
  }

  private async stop(): Promise<void> {
    await this.opening?.catch(() => {})
    await this.controller?.close()
    await Promise.allSettled([this.bitcoinNode?.close(), this.anvil?.close(), this.dht?.close()])
    if (this.options.datadir === undefined && this.directory !== null) {
      await rm(this.directory, { recursive: true, force: true })
    }
  }

  private running(): { endpoints: RegtestEndpoints; control: RegtestControl } {
    if (this.current === null || this.controller === null || this.closing !== null) {
      throw new SwarmswapError('CLOSED', 'RegtestEnv is not running (call ready() first)')
    }
    return { endpoints: this.current, control: this.controller }
  }
}

export interface ChainsToInitialize {
  bitcoin: { rpcUrl: string; rpcUser: string; rpcPassword: string }
  evm: { rpcUrl: string; chainId: number }
  dht: { bootstrap: string[] }
  /** The endpoints of an earlier run on the same chains: their faucet and contracts are reused. */
  previous: RegtestEndpoints | null
}

/**
 * Prepares running regtest chains (embedded or docker-compose's) for use, idempotently: funds the
 * Bitcoin faucet with mature coins and deploys the HTLC and test-token contracts unless an earlier run
 * already did. Only JSON-RPC is used, so Bitcoin Core works as well as the embedded node.
 */
export async function initializeChains(chains: ChainsToInitialize): Promise<RegtestEndpoints> {
  const rpc = new BitcoinRpc({
    url: chains.bitcoin.rpcUrl,
    auth: { user: chains.bitcoin.rpcUser, password: chains.bitcoin.rpcPassword },
  })
  const info = await rpc.getBlockchainInfo()
  if (info.chain !== 'regtest') {
    throw new SwarmswapError('INVALID_ARGUMENT', `the Bitcoin node is on ${info.chain}, not regtest`)
  }
  const faucetBirthday =
    chains.previous?.bitcoin.faucetBirthday ?? (await fundBitcoinFaucet(rpc, info.blocks + 1))

  const provider = new JsonRpcProvider(chains.evm.rpcUrl, chains.evm.chainId, {
    staticNetwork: true,
    cacheTimeout: -1,
  })
  try {
    const contracts =
      (await deployedContracts(provider, chains.previous)) ?? (await deployContracts(provider))
    return {
      network: 'regtest',
      bitcoin: { ...chains.bitcoin, faucetBirthday },
      evm: { rpcUrl: chains.evm.rpcUrl, chainId: chains.evm.chainId, ...contracts },
      dht: chains.dht,
    }
  } finally {
    provider.destroy()
  }
}

async function fundBitcoinFaucet(rpc: BitcoinRpc, birthday: number): Promise<number> {
  const faucet = new BitcoinWallet({ rpc, network: 'regtest', mnemonic: FAUCET.bitcoinMnemonic, birthday })
  await faucet.ready()
  try {
    await rpc.generateToAddress(FAUCET_INITIAL_BLOCKS, faucet.receiveAddress())
  } finally {
    await faucet.close()
  }
  return birthday
}

async function deployedContracts(
  provider: JsonRpcProvider,
  previous: RegtestEndpoints | null,
): Promise<{ htlcAddress: string; tokenAddress: string } | null> {
  if (previous === null) return null
  const { htlcAddress, tokenAddress } = previous.evm
  const [htlcCode, tokenCode] = await Promise.all([
    provider.getCode(htlcAddress),
    provider.getCode(tokenAddress),
  ])
  return htlcCode !== '0x' && tokenCode !== '0x' ? { htlcAddress, tokenAddress } : null
}

async function deployContracts(
  provider: JsonRpcProvider,
): Promise<{ htlcAddress: string; tokenAddress: string }> {
  const deployer = new Wallet(FAUCET.evmPrivateKey, provider)
  const htlc = await EvmHtlc.deploy(deployer)
  const token = await deployTestToken(deployer)
  return { htlcAddress: htlc.address, tokenAddress: token.address }
}
