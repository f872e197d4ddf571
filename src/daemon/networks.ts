import { getCreateAddress, Wallet } from 'ethers'
import { FAUCET, REGTEST_DEFAULTS, type RegtestEndpoints } from '../../regtest/endpoints.js'
import type { NetworkName } from '../orderbook/types.js'

/**
 * The endpoints of a regtest environment on the well-known ports (`npm run regtest` or docker-compose):
 * contracts are the first two deployments of the faucet account, so their addresses are known without a
 * file; the faucet wallet scans from genesis.
 */
export function defaultEndpoints(): RegtestEndpoints {
  const deployer = new Wallet(FAUCET.evmPrivateKey).address
  return {
    network: 'regtest',
    bitcoin: {
      rpcUrl: `http://127.0.0.1:${REGTEST_DEFAULTS.bitcoinRpcPort}`,
      rpcUser: REGTEST_DEFAULTS.bitcoinRpcUser,
      rpcPassword: REGTEST_DEFAULTS.bitcoinRpcPassword,
      faucetBirthday: 0,
    },
    evm: {
      rpcUrl: `http://127.0.0.1:${REGTEST_DEFAULTS.evmRpcPort}`,
      chainId: REGTEST_DEFAULTS.evmChainId,
      htlcAddress: getCreateAddress({ from: deployer, nonce: 0 }),
      tokenAddress: getCreateAddress({ from: deployer, nonce: 1 }),
    },
    dht: { bootstrap: [`127.0.0.1:${REGTEST_DEFAULTS.dhtPort}`] },
  }
}

/** The local API's default port per network, so daemons of different networks can run side by side. */
export const DEFAULT_API_PORTS: Record<NetworkName, number> = {
  regtest: 18680,
  testnet: 18681,
  mainnet: 8680,
}
