// Typed shim for the parts of compact-encoding the project uses (the package ships no types).
declare module 'compact-encoding' {
  export interface State {
    start: number
    end: number
    buffer: Uint8Array | null
  }
  export interface Encoding<T, Decoded = T> {
    preencode(state: State, value: T): void
    encode(state: State, value: T): void
    decode(state: State): Decoded
  }
  /** A fresh state; preencode into it, set `buffer = new Uint8Array(end)`, then encode. */
  export function state(start?: number, end?: number, buffer?: Uint8Array | null): State
  /** The remaining bytes of the frame, unframed. */
  export const raw: Encoding<Uint8Array>
  /** Varint: < 0xfd one byte; 0xfd + u16 LE; 0xfe + u32 LE; 0xff + u64 LE (up to 2^53 - 1). */
  export const uint: Encoding<number>
  export const uint8: Encoding<number>
  /** 8 bytes little-endian. */
  export const biguint64: Encoding<bigint>
  /** uint byte length, then UTF-8. */
  export const string: Encoding<string>
  /** uint byte length, then the bytes. */
  export const buffer: Encoding<Uint8Array | null, Uint8Array | null>
  /** Exactly n bytes; decode returns a view into the input. */
  export function fixed(n: number): Encoding<Uint8Array>
  export const fixed32: Encoding<Uint8Array>
  export const fixed64: Encoding<Uint8Array>
}
