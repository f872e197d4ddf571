import { bitcoin } from './ecc.js'

/** The Bitcoin networks swarmswap runs on. Signet shares testnet's address and key prefixes. */
export type BitcoinNetworkName = 'mainnet' | 'testnet' | 'signet' | 'regtest'

export const BITCOIN_NETWORK_NAMES: readonly BitcoinNetworkName[] = [
  'mainnet',
  'testnet',
  'signet',
  'regtest',
]

const networks: Record<BitcoinNetworkName, bitcoin.networks.Network> = {
  mainnet: bitcoin.networks.bitcoin,
  testnet: bitcoin.networks.testnet,
  signet: bitcoin.networks.testnet,
  regtest: bitcoin.networks.regtest,
}

/** bitcoinjs-lib's parameters (bech32 prefix, version bytes) for a network name. */
export function bitcoinNetwork(name: BitcoinNetworkName): bitcoin.networks.Network {
  return networks[name]
}
