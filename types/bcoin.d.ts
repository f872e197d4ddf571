/**
 * The parts of bcoin 1.0.2 (CommonJS, untyped) that the regtest node wrapper uses. Hashes are hex strings in
 * bcoin's internal byte order; `rhash()`/`txid()` give the reversed (display) order that RPC users see.
 */
declare module 'bcoin' {
  export interface BigNumberLike {
    toString(base: 'hex', length: number): string
  }

  export interface ChainEntry {
    hash: string
    height: number
    version: number
    prevBlock: string
    merkleRoot: string
    time: number
    bits: number
    nonce: number
    chainwork: BigNumberLike
    rhash(): string
  }

  export interface Chain {
    tip: ChainEntry
    height: number
    getEntry(hashOrHeight: string | number): Promise<ChainEntry | null>
    getBlock(hash: string): Promise<Block | null>
    getMedianTime(entry: ChainEntry): Promise<number>
    getNextHash(hash: string): Promise<string | null>
    isMainChain(entry: ChainEntry): Promise<boolean>
    getCoin(hash: string, index: number): Promise<Coin | null>
    add(block: Block): Promise<ChainEntry | null>
    invalidate(hash: string): Promise<void>
    removeInvalid(hash: string): void
  }

  export interface MempoolEntry {
    tx: TX
  }

  export interface Mempool {
    map: Map<string, MempoolEntry>
    /** Resolves to the missing parent hashes when inputs are unknown (the tx is kept as an orphan). */
    addTX(tx: TX): Promise<string[] | null>
    getMeta(hash: string): TXMeta | null
    getCoin(hash: string, index: number): Coin | null
    isSpent(hash: string, index: number): boolean
    removeOrphan(hash: string): void
  }

  export interface BlockTemplate {
    time: number
    mtp: number
  }

  export interface CPUJob {
    attempt: BlockTemplate
  }

  export interface CPUMiner {
    createJob(tip: ChainEntry | null, address: Address): Promise<CPUJob>
    mineAsync(job: CPUJob): Promise<Block>
  }

  export interface Miner {
    cpu: CPUMiner
  }

  export interface FeeEstimator {
    /** Satoshis per kvB, 0 when there is no estimate. */
    estimateFee(blocks: number, smart: boolean): number
  }

  export interface TXMeta {
    tx: TX
    /** Containing block hash (internal order), null in the mempool. */
    block: string | null
    height: number
  }

  export interface Coin {
    value: number
    script: Script
    height: number
    coinbase: boolean
  }

  export interface Outpoint {
    hash: string
    index: number
    txid(): string
  }

  export interface Input {
    prevout: Outpoint
    script: Script
    witness: { items: Buffer[] }
    sequence: number
  }

  export interface Output {
    value: number
    script: Script
  }

  export interface Script {
    toASM(): string
    toJSON(): string
    getType(): number
    getAddress(): Address | null
  }

  export type ScriptFlag =
    | 'VERIFY_P2SH'
    | 'VERIFY_DERSIG'
    | 'VERIFY_NULLDUMMY'
    | 'VERIFY_CHECKLOCKTIMEVERIFY'
    | 'VERIFY_CHECKSEQUENCEVERIFY'
    | 'VERIFY_WITNESS'
    | 'STANDARD_VERIFY_FLAGS'

  export class TX {
    static fromRaw(data: Buffer): TX
    version: number
    locktime: number
    inputs: Input[]
    outputs: Output[]
    txid(): string
    wtxid(): string
    hash(enc: 'hex'): string
    toRaw(): Buffer
    getSize(): number
    getVirtualSize(): number
    getWeight(): number
    isCoinbase(): boolean
    /** Throws bcoin's ScriptError (`type: 'ScriptError'`, `code`) when the input's scripts fail. */
    checkInput(index: number, coin: Coin, flags: number): void
  }

  export interface Block {
    txs: TX[]
    toRaw(): Buffer
    getBaseSize(): number
    getSize(): number
    getWeight(): number
  }

  export class Address {
    static fromString(address: string, network?: string): Address
    static fromWitnessPubkeyhash(hash: Buffer): Address
    toString(network?: string | Network): string
  }

  export interface Network {
    type: string
    /** Clock skew applied to `network.now()`; bcoin rejects blocks more than 2 h ahead of it. */
    time: { offset: number }
  }

  export interface NetworkPrefixes {
    addressPrefix: { bech32: string; pubkeyhash: number; scripthash: number; witnesspubkeyhash?: number }
    keyPrefix: { privkey: number }
  }

  export interface FullNodeOptions {
    network: 'regtest'
    memory: boolean
    prefix?: string
    workers: boolean
    listen: boolean
    indexTX: boolean
    httpHost: string
    httpPort: number
    logLevel: string
    logConsole: boolean
    logFile: boolean
  }

  export class FullNode {
    constructor(options: FullNodeOptions)
    network: Network
    chain: Chain
    mempool: Mempool
    miner: Miner
    fees: FeeEstimator
    /** bcoin's own REST/RPC server; the wrapper serves Bitcoin Core's dialect instead. */
    http: { open(): Promise<void>; close(): Promise<void> }
    /** The P2P pool (never connected here). */
    pool: { forceSync(): void }
    ensure(): Promise<void>
    open(): Promise<void>
    close(): Promise<void>
    getMeta(hash: string): Promise<TXMeta | null>
    on(event: 'error', listener: (error: Error) => void): this
  }

  const bcoin: {
    FullNode: typeof FullNode
    TX: typeof TX
    Address: typeof Address
    Script: { flags: Record<ScriptFlag, number> }
    networks: { regtest: NetworkPrefixes }
  }
  export default bcoin
}
