import type { SwarmswapClient } from '../sdk/client.js'
import type { SwapView } from '../sdk/types.js'
import { swapEventLine, swapHeaderView } from './views.js'

/**
 * Follows a swap until it ends, printing its legs and deadlines once, then each step (with its txid) as the
 * daemon reports it. Updates may arrive out of order with the first read: only steps not printed yet are.
 */
export function watchSwap(
  client: SwarmswapClient,
  id: string,
  print: (text: string) => void,
  now: () => number,
  timeoutMs: number,
): Promise<SwapView> {
  let printed: number | null = null
  return client.waitForSwap(
    id,
    (swap) => {
      if (printed === null) {
        print(`${swapHeaderView(swap, now())}\n\nSTEPS`)
        printed = 0
      }
      for (const event of swap.history.slice(printed)) print(swapEventLine(event))
      printed = Math.max(printed, swap.history.length)
      return swap.final
    },
    timeoutMs,
  )
}
