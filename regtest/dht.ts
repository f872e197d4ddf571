import createTestnet, { type Testnet } from 'hyperdht/testnet.js'
import { freePort } from './ports.js'

export interface DhtBootstrapOptions {
  /** UDP port of the first (bootstrap) node on 127.0.0.1; a free one when omitted. */
  port?: number
  /** How many DHT nodes form the local network. A handful lets announcements be stored redundantly. */
  size?: number
}

/**
 * A local HyperDHT network bound to 127.0.0.1, standing in for the public bootstrap nodes on regtest
 * and in tests. Peers pass `bootstrap` to their own DHT (also bound to 127.0.0.1), so no packet
 * leaves loopback.
 */
export class DhtBootstrap {
  readonly options: DhtBootstrapOptions
  private testnet: Testnet | null = null
  private opening: Promise<void> | null = null
  private closing: Promise<void> | null = null

  constructor(options: DhtBootstrapOptions = {}) {
    this.options = options
  }

  ready(): Promise<void> {
    this.opening ??= this.open()
    return this.opening
  }

  private async open(): Promise<void> {
    // UDP and TCP port spaces differ, but a free TCP port is almost always a free UDP port on loopback.
    const port = this.options.port ?? (await freePort())
    this.testnet = await createTestnet(this.options.size ?? 3, { host: '127.0.0.1', port })
  }

  /** The bootstrap list to give every DHT of this network, as `host:port` pairs. */
  get bootstrap(): { host: string; port: number }[] {
    if (this.testnet === null) throw new Error('DhtBootstrap is not ready')
    return this.testnet.bootstrap.map(({ host, port }) => ({ host, port }))
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.opening?.catch(() => {})
      await this.testnet?.destroy()
    })()
    return this.closing
  }
}
