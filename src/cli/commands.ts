import type { Command } from 'commander'
import type { MethodParams } from '../api/schemas.js'
import { integerIn, parseAmount, parseAsset, parseChain, parseId, parsePrice, parseSide } from './args.js'
import { act, type CliIo } from './context.js'
import {
  amountText,
  balancesView,
  bookView,
  infoView,
  marketsView,
  orderPlacedView,
  ordersView,
  peersView,
  swapsView,
  swapView,
} from './views.js'
import { watchSwap } from './watch.js'

type Asset = MethodParams<'markets.join'>['base']

/** Help text listing examples, shown after a command's options. */
function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}`
}

/** Every command of the CLI, each a thin call of the SDK. */
export function addCommands(program: Command, io: CliIo): void {
  program
    .command('info')
    .description("the daemon's version, network, identity, chain heights and addresses")
    .addHelpText('after', examples('swarmswap info', 'swarmswap info --json'))
    .action(
      act(io, async (client) => {
        const info = await client.info()
        return { json: info, text: infoView(info) }
      }),
    )

  addWalletCommands(program.command('wallet').description('balances, receive addresses and withdrawals'), io)
  addMarketCommands(
    program.command('markets').description('the markets (order books) this daemon follows'),
    io,
  )

  program
    .command('book')
    .description('the order book of a market: depth per price level, then every order')
    .argument('<base>', 'base asset: BTC, ETH or ERC20:0x<address>', parseAsset)
    .argument('<quote>', 'quote asset (prices are in quote per base)', parseAsset)
    .option('--depth <n>', 'price levels per side', integerIn(1, 1000))
    .addHelpText('after', examples('swarmswap book BTC ETH', 'swarmswap book BTC ETH --depth 5 --json'))
    .action(
      act(io, async (client, command) => {
        const [base, quote] = command.processedArgs as [Asset, Asset]
        const { depth } = command.opts<{ depth?: number }>()
        const book = await client.orderbook(base, quote, depth)
        return { json: book, text: bookView(book, io.now()) }
      }),
    )

  addOrderCommands(program.command('order').description('place, list and cancel your orders'), io)

  program
    .command('take')
    .description('take an order from a book: agrees terms with its maker and starts the swap')
    .argument('<orderId>', 'the order id (64 hex digits), from `swarmswap book`', parseId)
    .argument('[amount]', 'base whole units to take (default: all that is left)', parseAmount)
    .addHelpText(
      'after',
      examples(
        'swarmswap take 4f1c…e2 # the whole order',
        'swarmswap take 4f1c…e2 0.05 --json',
        'swarmswap swaps watch <swap id printed by take>',
      ),
    )
    .action(
      act(io, async (client, command) => {
        const [orderId, amount] = command.processedArgs as [string, string | undefined]
        const swap = await client.take(orderId, amount)
        const text = `${swapView(swap, io.now())}\n\nfollow it with: swarmswap swaps watch ${swap.id}`
        return { json: { swap }, text }
      }),
    )

  addSwapCommands(program.command('swaps').description('your swaps: list, details, live progress'), io)

  program
    .command('refund')
    .description('refund a swap whose deadline has passed now (the daemon also does it by itself)')
    .argument('<swapId>', 'the swap id (64 hex digits)', parseId)
    .addHelpText('after', examples('swarmswap refund 9a3b…07'))
    .action(
      act(io, async (client, command) => {
        const [id] = command.processedArgs as [string]
        const swap = await client.refund(id)
        return { json: { swap }, text: swapView(swap, io.now()) }
      }),
    )

  program
    .command('peers')
    .description('peers connected over the DHT, with their markets')
    .addHelpText('after', examples('swarmswap peers', 'swarmswap peers --json'))
    .action(
      act(io, async (client) => {
        const peers = await client.peers()
        return { json: { peers }, text: peersView(peers, io.now()) }
      }),
    )
}

function addWalletCommands(wallet: Command, io: CliIo): void {
  wallet
    .command('balance')
    .description('spendable and arriving balances of every asset')
    .addHelpText('after', examples('swarmswap wallet balance', 'swarmswap wallet balance --json'))
    .action(
      act(io, async (client) => {
        const balances = await client.balance()
        return { json: { balances }, text: balancesView(balances) }
      }),
    )

  wallet
    .command('address')
    .description('a new receive address on a chain')
    .argument('<chain>', 'bitcoin (or btc) or evm (or eth)', parseChain)
    .addHelpText('after', examples('swarmswap wallet address bitcoin', 'swarmswap wallet address evm'))
    .action(
      act(io, async (client, command) => {
        const [chain] = command.processedArgs as ['bitcoin' | 'evm']
        const address = await client.newAddress(chain)
        return { json: { chain, address }, text: address }
      }),
    )

  wallet
    .command('withdraw')
    .description('send funds from the wallet to an address')
    .argument('<asset>', 'BTC, ETH or ERC20:0x<address>', parseAsset)
    .argument('<to>', 'destination address')
    .argument('<amount>', 'whole units of the asset, e.g. 0.25', parseAmount)
    .addHelpText(
      'after',
      examples(
        'swarmswap wallet withdraw BTC bcrt1q… 0.25',
        'swarmswap wallet withdraw ETH 0xAb… 1.5 --json',
      ),
    )
    .action(
      act(io, async (client, command) => {
        const [asset, to, amount] = command.processedArgs as [Asset, string, string]
        const result = await client.withdraw(asset, to, amount)
        return {
          json: result,
          text: `sent ${amountText(result.amount)} to ${to}\n${result.chain} tx ${result.txid}`,
        }
      }),
    )
}

function addMarketCommands(markets: Command, io: CliIo): void {
  markets
    .command('list')
    .description('the markets this daemon follows')
    .addHelpText('after', examples('swarmswap markets list'))
    .action(
      act(io, async (client) => {
        const list = await client.markets()
        return { json: { markets: list }, text: marketsView(list) }
      }),
    )

  for (const [name, description] of [
    ['join', 'follow a market: find its makers on the DHT and show their orders'],
    ['leave', 'stop following a market'],
  ] as const) {
    markets
      .command(name)
      .description(description)
      .argument('<base>', 'base asset: BTC, ETH or ERC20:0x<address>', parseAsset)
      .argument('<quote>', 'quote asset', parseAsset)
      .addHelpText('after', examples(`swarmswap markets ${name} BTC ETH`))
      .action(
        act(io, async (client, command) => {
          const [base, quote] = command.processedArgs as [Asset, Asset]
          const market =
            name === 'join' ? await client.joinMarket(base, quote) : await client.leaveMarket(base, quote)
          return { json: { market }, text: `${name === 'join' ? 'joined' : 'left'} ${market.id}` }
        }),
      )
  }
}

function addOrderCommands(order: Command, io: CliIo): void {
  order
    .command('place')
    .description('place a signed order in a market (you are its maker)')
    .argument('<side>', 'sell or buy (the base asset)', parseSide)
    .argument('<base>', 'base asset: BTC, ETH or ERC20:0x<address>', parseAsset)
    .argument('<quote>', 'quote asset', parseAsset)
    .argument('<amount>', 'base whole units, e.g. 0.1', parseAmount)
    .argument('<price>', 'quote whole units per one base unit, e.g. 20', parsePrice)
    .option(
      '--min-fill <amount>',
      'smallest fill in base whole units (default: the whole amount)',
      parseAmount,
    )
    .option(
      '--expires-in <seconds>',
      'seconds until the order expires (default 3600)',
      integerIn(10, 30 * 24 * 3600),
    )
    .addHelpText(
      'after',
      examples(
        'swarmswap order place sell BTC ETH 0.1 20 # sell 0.1 BTC for 2 ETH',
        'swarmswap order place buy BTC ETH 1 19.5 --min-fill 0.1 --expires-in 600 --json',
      ),
    )
    .action(
      act(io, async (client, command) => {
        const [side, base, quote, amount, price] = command.processedArgs as [
          'sell' | 'buy',
          Asset,
          Asset,
          string,
          string,
        ]
        const { minFill, expiresIn } = command.opts<{ minFill?: string; expiresIn?: number }>()
        const placed = await client.placeOrder({
          base,
          quote,
          side,
          amount,
          price,
          ...(minFill === undefined ? {} : { minFill }),
          ...(expiresIn === undefined ? {} : { expiresIn }),
        })
        return { json: { order: placed }, text: orderPlacedView(placed, io.now()) }
      }),
    )

  order
    .command('list')
    .description('your open orders')
    .addHelpText('after', examples('swarmswap order list', 'swarmswap order list --json'))
    .action(
      act(io, async (client) => {
        const orders = await client.orders()
        return { json: { orders }, text: ordersView(orders, io.now()) }
      }),
    )

  order
    .command('cancel')
    .description('withdraw one of your orders from its book')
    .argument('<orderId>', 'the order id (64 hex digits)', parseId)
    .addHelpText('after', examples('swarmswap order cancel 4f1c…e2'))
    .action(
      act(io, async (client, command) => {
        const [orderId] = command.processedArgs as [string]
        await client.cancelOrder(orderId)
        return { json: { orderId }, text: `cancelled ${orderId}` }
      }),
    )
}

function addSwapCommands(swaps: Command, io: CliIo): void {
  swaps
    .command('list')
    .description('your swaps, newest first')
    .option('--active', 'only swaps still running')
    .addHelpText('after', examples('swarmswap swaps list', 'swarmswap swaps list --active --json'))
    .action(
      act(io, async (client, command) => {
        const { active } = command.opts<{ active?: boolean }>()
        const list = await client.swaps(active === true ? { active: true } : {})
        return { json: { swaps: list }, text: swapsView(list) }
      }),
    )

  swaps
    .command('show')
    .description('one swap: its legs, who must act by when, and each step with its txid')
    .argument('<swapId>', 'the swap id (64 hex digits)', parseId)
    .addHelpText('after', examples('swarmswap swaps show 9a3b…07', 'swarmswap swaps show 9a3b…07 --json'))
    .action(
      act(io, async (client, command) => {
        const [id] = command.processedArgs as [string]
        const swap = await client.swap(id)
        return { json: { swap }, text: swapView(swap, io.now()) }
      }),
    )

  swaps
    .command('watch')
    .description('follow a swap live until it ends; exit 0 if it completed, 1 if it refunded or failed')
    .argument('<swapId>', 'the swap id (64 hex digits)', parseId)
    .option(
      '--timeout <seconds>',
      'give up after this many seconds (default 3 days)',
      integerIn(1, 20 * 24 * 3600),
    )
    .addHelpText(
      'after',
      examples(
        'swarmswap swaps watch 9a3b…07',
        'swarmswap swaps watch 9a3b…07 --json # prints the final swap',
      ),
    )
    .action(
      act(io, async (client, command) => {
        const [id] = command.processedArgs as [string]
        const { timeout = 3 * 24 * 3600 } = command.opts<{ timeout?: number }>()
        const json = command.optsWithGlobals<{ json?: boolean }>().json === true
        const swap = await watchSwap(client, id, json ? () => {} : io.out, io.now, timeout * 1000)
        const ending = `swap ${swap.status}${swap.reason === undefined ? '' : `: ${swap.reason}`}`
        return {
          json: { swap },
          text: ending,
          ...(swap.status === 'completed' ? {} : { failure: `swap ${id} ended ${ending.slice(5)}` }),
        }
      }),
    )
}
