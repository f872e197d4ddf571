// Typed shim for the parts of hypercore the project uses (the package ships no types).
declare module 'hypercore' {
  import type { Readable } from 'node:stream'

  export interface HypercoreOptions {
    valueEncoding?: 'binary' | 'json' | 'utf-8'
  }

  export default class Hypercore {
    readonly length: number
    readonly closed: boolean
    ready(): Promise<void>
    append(block: Uint8Array | Uint8Array[]): Promise<{ length: number; byteLength: number }>
    get(index: number, options?: { wait?: boolean; timeout?: number }): Promise<Buffer | null>
    /** Blocks in order; with `live: false` (the default) it ends at the current length. */
    createReadStream(options?: { start?: number; end?: number; live?: boolean }): Readable
    close(): Promise<void>
  }
}
