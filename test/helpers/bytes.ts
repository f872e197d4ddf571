/** Hex <-> bytes for fixture tables. */
export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
export const bytes = (hexString: string): Uint8Array => Uint8Array.from(Buffer.from(hexString, 'hex'))
