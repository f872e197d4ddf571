// Typed shim for the parts of hyperdht the project uses (the package ships no types).
declare module 'hyperdht' {
  export interface HostPort {
    host: string
    port: number
  }
  export interface DhtOptions {
    bootstrap?: HostPort[] | string[]
    host?: string
    port?: number
    ephemeral?: boolean
    firewalled?: boolean
  }
  export default class HyperDHT {
    constructor(options?: DhtOptions)
    ready(): Promise<void>
    fullyBootstrapped(): Promise<void>
    address(): { host: string; port: number }
    destroy(options?: { force?: boolean }): Promise<void>
  }
}

declare module 'hyperdht/testnet.js' {
  import type HyperDHT from 'hyperdht'
  import type { HostPort } from 'hyperdht'
  export interface Testnet {
    nodes: HyperDHT[]
    bootstrap: HostPort[]
    destroy(): Promise<void>
  }
  export default function createTestnet(
    size?: number,
    options?: { host?: string; port?: number },
  ): Promise<Testnet>
}
