import { EventEmitter } from 'node:events'
import test from 'ava'
import { relayNudges } from '../../src/negotiation/nudges.js'
import type { OrderbookNode } from '../../src/orderbook/node.js'
import type { Market } from '../../src/orderbook/types.js'
import type { SwapEngine } from '../../src/swap/engine.js'
import type { SignedTx, SwapRecord, SwapStatus, TxPurpose } from '../../src/swap/types.js'

// relayNudges is wiring between two event sources; these stand-ins record what it asks of each.
const MARKET: Market = { network: 'regtest', base: 'BTC', quote: 'ETH' }
const PEER = 'aa'.repeat(32)
const SWAP = '11'.repeat(32)

class FakeNode extends EventEmitter {
  sent: [string, Market, string][] = []
  nudge(peer: string, market: Market, swapId: Uint8Array): boolean {
    this.sent.push([peer, market, Buffer.from(swapId).toString('hex')])
    return true
  }
}

class FakeEngine extends EventEmitter {
  records = new Map<string, SwapRecord>()
  woken: (string | undefined)[] = []
  get(id: string): SwapRecord | undefined {
    return this.records.get(id)
  }
  wake(id?: string): void {
    this.woken.push(id)
  }
}

function record(status: SwapStatus, peer = PEER, id = SWAP): SwapRecord {
  return { id, peer, status, market: MARKET } as SwapRecord
}
const tx = (purpose: TxPurpose) => ({ purpose }) as SignedTx

function relay() {
  const node = new FakeNode()
  const engine = new FakeEngine()
  const stop = relayNudges(node as unknown as OrderbookNode, engine as unknown as SwapEngine)
  return { node, engine, stop }
}

test('a broadcast lock or claim nudges the counterparty on the market; an approval or refund does not', (t) => {
  const { node, engine } = relay()
  for (const purpose of ['approve', 'lock', 'claim', 'refund'] as const) {
    engine.emit('broadcast', record('lock-signed'), tx(purpose))
  }
  t.deepEqual(node.sent, [
    [PEER, MARKET, SWAP],
    [PEER, MARKET, SWAP],
  ])
})

test('a nudge wakes the swap only if it is ours, active, and with the nudging peer', (t) => {
  const { node, engine } = relay()
  engine.records.set(SWAP, record('locked'))
  engine.records.set('22'.repeat(32), record('completed', PEER, '22'.repeat(32)))
  node.emit('nudge', PEER, SWAP)
  node.emit('nudge', 'bb'.repeat(32), SWAP)
  node.emit('nudge', PEER, '33'.repeat(32))
  node.emit('nudge', PEER, '22'.repeat(32))
  t.deepEqual(engine.woken, [SWAP])
})

test('once stopped, nothing is relayed either way', (t) => {
  const { node, engine, stop } = relay()
  engine.records.set(SWAP, record('locked'))
  stop()
  engine.emit('broadcast', record('lock-signed'), tx('lock'))
  node.emit('nudge', PEER, SWAP)
  t.deepEqual(node.sent, [])
  t.deepEqual(engine.woken, [])
})
