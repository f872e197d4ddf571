/**
 * The swarmswap package. Two layers:
 * - the SDK: a typed client of a running swarmswapd (`SwarmswapClient`), also importable alone as
 *   'swarmswap/sdk' without loading the swap stack;
 * - the primitives, for those who embed swaps without the daemon: the Bitcoin HTLC script and its claim and
 *   refund transactions, the EVM HTLC contract client and its terms, the swap state machine, timelock policy,
 *   engine, and TradingNode (one trader's whole stack).
 */

export * from './api/schemas.js'
export { bitcoin, ECPair, type ECPairInterface } from './chains/bitcoin/ecc.js'
export {
  type AuditedHtlc,
  type AuditField,
  auditHtlcOutput,
  type ExpectedHtlc,
  type HtlcLock,
} from './chains/bitcoin/htlc-audit.js'
export {
  decodeHtlcScript,
  type HtlcScriptParams,
  type HtlcTerms,
  htlcOutput,
  htlcScript,
} from './chains/bitcoin/htlc-script.js'
export {
  buildClaimTx,
  buildRefundTx,
  claimVsize,
  type HtlcOutpoint,
  type HtlcSigner,
  type HtlcSpendParams,
  refundVsize,
  type SignedSpend,
} from './chains/bitcoin/htlc-tx.js'
export { type BitcoinNetworkName, bitcoinNetwork } from './chains/bitcoin/networks.js'
export {
  extractPreimage,
  hash160FromSha256,
  PREIMAGE_BYTES,
  sha256Hashlock,
} from './chains/bitcoin/preimage.js'
export * from './chains/evm/index.js'
export { TradingNode, type TradingNodeOptions } from './daemon/trading-node.js'
export { type ErrorCode, isSwarmswapError, SwarmswapError } from './errors.js'
export { DECIMALS, formatAmount, parseAmount } from './money.js'
export * from './sdk/index.js'
export { type Decision, decide, type SwapView as SwapChainView } from './swap/decide.js'
export {
  type PersistPoint,
  SwapEngine,
  type SwapEngineEvents,
  type SwapEngineOptions,
} from './swap/engine.js'
export {
  checkTimelockPolicy,
  deadlineProblem,
  defaultTimelocks,
  MAINNET_TIMELOCKS,
  makerMayClaim,
  mayLock,
  offerDeadlines,
  REGTEST_TIMELOCKS,
  type TimelockPolicy,
} from './swap/policy.js'
export { deriveSecret, hashlockOf, secretKeyFromSeed, swapIdFor } from './swap/secret.js'
export type {
  ChainKind,
  LegAdapter,
  LegTerms,
  SwapRecord,
  SwapRole,
  SwapStatus,
  SwapStore,
} from './swap/types.js'
