import type { z } from 'zod'
import type {
  amountView,
  balanceView,
  deadlineView,
  depthLevelView,
  legView,
  marketView,
  NotificationParams,
  orderView,
  peerView,
  swapEventView,
  swapView,
} from '../api/schemas.js'

/** The shapes the daemon's API returns, as the SDK hands them out (validated). */
export type AmountView = z.output<typeof amountView>
export type BalanceView = z.output<typeof balanceView>
export type DeadlineView = z.output<typeof deadlineView>
export type DepthLevelView = z.output<typeof depthLevelView>
export type LegView = z.output<typeof legView>
export type MarketView = z.output<typeof marketView>
export type OrderView = z.output<typeof orderView>
export type PeerView = z.output<typeof peerView>
export type SwapEventView = z.output<typeof swapEventView>
export type SwapView = z.output<typeof swapView>
export type SwapUpdated = NotificationParams<'swap.updated'>
export type OrderbookChanged = NotificationParams<'orderbook.changed'>
