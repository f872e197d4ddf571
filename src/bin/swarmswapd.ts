import { Command } from 'commander'
import { VERSION } from '../version.js'

const program = new Command()
  .name('swarmswapd')
  .description(
    'The swarmswap trading daemon: finds order books over the Hyperswarm DHT, negotiates trades with peers ' +
      'and settles them by HTLC atomic swap between Bitcoin and an EVM chain, with no custodian.',
  )
  .version(VERSION)
  .option('--network <name>', 'regtest, testnet or mainnet', 'regtest')
  .option('--datadir <dir>', 'data directory (keys, swap database, config)')
  .addHelpText(
    'after',
    '\nStatus: the trading daemon is not part of this release yet; the chains, HTLCs and the regtest\n' +
      'environment are (see README.md).',
  )
  .action(() => {
    program.error(
      'swarmswapd: the trading daemon is not available in this release yet (see README.md, Status)',
      {
        exitCode: 2,
      },
    )
  })

await program.parseAsync()
