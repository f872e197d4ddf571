import { Command } from 'commander'
import { SwarmswapError } from '../src/errors.js'
import { DECIMALS, formatAmount, parseAmount } from '../src/money.js'
import { RegtestEnv } from './env.js'
import { runHtlcRoundTrip } from './htlc-round-trip.js'

/**
 * `npm run demo`: starts a private regtest environment (free ports, temporary state), runs the scripted
 * HTLC round trip on both chains, prints each step, and stops everything it started. With `--json` the
 * last line is one JSON object with the outcome; the exit code is non-zero if anything failed.
 */
const program = new Command()
  .name('npm run demo --')
  .description('HTLC round trip on the Bitcoin and EVM regtest chains (a swap with claims, one with refunds)')
  .option('--json', 'print the outcome as one JSON object on the last line')
  .option('--btc <amount>', 'BTC Alice locks in each swap', '0.5')
  .option('--eth <amount>', 'ETH Bob pays in the first swap', '2')
  .option('--tokens <amount>', 'test tokens Bob locks in the second swap', '100')
  .action(async (options: { json?: boolean; btc: string; eth: string; tokens: string }) => {
    const amounts = {
      btc: parseAmount(options.btc, DECIMALS.BTC),
      eth: parseAmount(options.eth, DECIMALS.ETH),
      token: parseAmount(options.tokens, DECIMALS.ETH),
    }
    const log = (line: string) => process.stdout.write(`${line}\n`)
    const env = new RegtestEnv({ ports: 'free' })
    const started = Date.now()
    try {
      log('Starting the regtest environment (Bitcoin node, anvil, local DHT) on 127.0.0.1 ...')
      await env.ready()
      log(`  Bitcoin RPC ${env.endpoints.bitcoin.rpcUrl}, EVM RPC ${env.endpoints.evm.rpcUrl}`)
      log(`  HTLC contract ${env.endpoints.evm.htlcAddress}, test token ${env.endpoints.evm.tokenAddress}`)
      const result = await runHtlcRoundTrip(env.endpoints, env.control, amounts, log)
      log('Balance changes (fees included):')
      for (const who of ['alice', 'bob'] as const) {
        const c = result.balanceChanges[who]
        log(`  ${who.padEnd(5)}  BTC ${c.btc.padStart(12)}   ETH ${c.eth.padStart(22)}   tokens ${c.token}`)
      }
      log(`Done in ${formatAmount(BigInt(Date.now() - started), 3)} s`)
      if (options.json === true) {
        log(
          JSON.stringify({
            ok: true,
            ...result,
            evmGas: Object.fromEntries(Object.entries(result.evmGas).map(([k, v]) => [k, v.toString()])),
          }),
        )
      }
    } finally {
      await env.close()
    }
  })

try {
  await program.parseAsync()
} catch (error) {
  const message = error instanceof SwarmswapError ? `${error.code}: ${error.message}` : String(error)
  process.stderr.write(`demo failed: ${message}\n`)
  if (process.argv.includes('--json'))
    process.stdout.write(`${JSON.stringify({ ok: false, error: message })}\n`)
  process.exitCode = 1
}
