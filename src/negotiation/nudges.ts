import type { OrderbookNode } from '../orderbook/node.js'
import type { SwapEngine } from '../swap/engine.js'
import { FINAL_STATUSES, type SignedTx, type SwapRecord } from '../swap/types.js'

/**
 * Swap hints between the two traders of a swap (docs/PROTOCOL.md 12.4): when our engine broadcasts a lock or
 * a claim, the counterparty gets a `nudge` with the swap id on the market's channel, so its engine reads the
 * chain now instead of at its next poll; a nudge from the counterparty of one of our active swaps wakes our
 * engine for that swap. A nudge is never trusted (the engine reads everything from the chain): one for a swap
 * we do not have with that peer, or that has ended, is ignored. Returns the function that stops relaying.
 */
export function relayNudges(node: OrderbookNode, engine: SwapEngine): () => void {
  const onBroadcast = (record: SwapRecord, tx: SignedTx) => {
    if (tx.purpose !== 'lock' && tx.purpose !== 'claim') return
    node.nudge(record.peer, record.market, Uint8Array.from(Buffer.from(record.id, 'hex')))
  }
  const onNudge = (peer: string, swapId: string) => {
    const record = engine.get(swapId)
    if (record === undefined || record.peer !== peer || FINAL_STATUSES.has(record.status)) return
    engine.wake(swapId)
  }
  engine.on('broadcast', onBroadcast)
  node.on('nudge', onNudge)
  return () => {
    engine.off('broadcast', onBroadcast)
    node.off('nudge', onNudge)
  }
}
