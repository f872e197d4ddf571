import { join } from 'node:path'
import { generateMnemonic } from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import type { RegtestEnv } from '../regtest/env.js'
import { TradingNode, type TradingNodeOptions } from '../src/daemon/trading-node.js'

/** Running regtest chains: a RegtestEnv in this process or a RegtestProcess. */
export type RegtestChains = Pick<RegtestEnv, 'endpoints' | 'control'>

/** Engine timing the benchmark passes to both traders (see SwapEngineOptions). */
export type EngineTiming = Pick<TradingNodeOptions, 'pollMs' | 'idleTickMs'>

export interface BenchTraderFunds {
  /** Satoshis, paid as `btcCoins` equal coins so concurrent locks need not wait for each other's change. */
  btc?: bigint
  btcCoins?: number
  /** Wei. */
  eth?: bigint
}

/**
 * A ready TradingNode on the regtest environment with a new mnemonic funded as asked, its data under
 * `root/name`. The caller closes it.
 */
export async function benchTrader(
  env: RegtestChains,
  root: string,
  name: string,
  funds: BenchTraderFunds,
  timing: EngineTiming,
): Promise<TradingNode> {
  const endpoints = env.endpoints
  const options: TradingNodeOptions = {
    network: 'regtest',
    datadir: join(root, name),
    mnemonic: generateMnemonic(wordlist),
    bitcoin: {
      rpcUrl: endpoints.bitcoin.rpcUrl,
      auth: { user: endpoints.bitcoin.rpcUser, password: endpoints.bitcoin.rpcPassword },
      birthday: await env.control.bitcoinRpc.getBlockCount(),
    },
    evm: {
      rpcUrl: endpoints.evm.rpcUrl,
      chainId: endpoints.evm.chainId,
      htlcAddress: endpoints.evm.htlcAddress,
    },
    dht: {
      bootstrap: endpoints.dht.bootstrap.map((hostPort) => {
        const [host = '', port = ''] = hostPort.split(':')
        return { host, port: Number(port) }
      }),
      host: '127.0.0.1',
    },
    ...timing,
  }
  const trader = new TradingNode(options)
  const coins = BigInt(funds.btcCoins ?? 1)
  for (let i = 0n; funds.btc && i < coins; i++) {
    await env.control.fundBitcoin(trader.wallet.receiveAddress(), funds.btc / coins)
  }
  if (funds.eth) await env.control.fundEth(trader.evmWallet.address, funds.eth)
  await trader.ready()
  return trader
}
