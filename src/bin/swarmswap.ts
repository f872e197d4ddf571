import { Command } from 'commander'
import { VERSION } from '../version.js'

const program = new Command()
  .name('swarmswap')
  .description('Command-line client of the swarmswap daemon: orders, order books, swaps and the wallet.')
  .version(VERSION)
  .option('--json', 'print machine-readable JSON')
  .addHelpText(
    'after',
    '\nStatus: the daemon commands arrive with the daemon; this release ships the chains, HTLCs and the\n' +
      'regtest environment (see README.md).',
  )
  .action(() => {
    program.error(
      'swarmswap: the daemon commands are not available in this release yet (see README.md, Status)',
      {
        exitCode: 2,
      },
    )
  })

await program.parseAsync()
