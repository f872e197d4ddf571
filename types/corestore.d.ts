// Typed shim for the parts of corestore the project uses (the package ships no types).
declare module 'corestore' {
  import type Hypercore from 'hypercore'
  import type { HypercoreOptions } from 'hypercore'

  export default class Corestore {
    /** `storage` is a directory; corestore keeps all its cores (and their keys) under it. */
    constructor(storage: string)
    ready(): Promise<void>
    /** The core with this local name, created on first use (its key pair is derived from the store's seed). */
    get(options: { name: string } & HypercoreOptions): Hypercore
    close(): Promise<void>
  }
}
