import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import crypto from 'hypercore-crypto'
import { z } from 'zod'
import { SwarmswapError } from '../errors.js'

/** The node's ed25519 identity: its Hyperswarm key pair, by which peers know it and which signs its orders. */
export interface Identity {
  publicKey: Uint8Array
  secretKey: Uint8Array
}

export const IDENTITY_FILE = 'identity.json'

const identityFileSchema = z.object({
  version: z.literal(1),
  /** The 32-byte ed25519 seed; the key pair is derived from it. */
  seed: z.string().regex(/^[0-9a-f]{64}$/),
})

/**
 * Loads `<dir>/identity.json`, or creates it (mode 0600, written to a temporary file and renamed, so a crash
 * never leaves half a key) with a fresh random seed. Only the seed is stored; the key pair is derived.
 */
export async function loadOrCreateIdentity(dir: string): Promise<Identity> {
  const path = join(dir, IDENTITY_FILE)
  let text: string | null = null
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new SwarmswapError('INVALID_ARGUMENT', `cannot read the identity file ${path}`, { cause: error })
    }
  }
  if (text !== null) return identityFromSeed(parseIdentityFile(text, path))

  const seed = randomBytes(32)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const temporary = `${path}.${process.pid}.tmp`
  await writeFile(temporary, `${JSON.stringify({ version: 1, seed: seed.toString('hex') })}\n`, {
    mode: 0o600,
    flag: 'wx',
  })
  await rename(temporary, path)
  return identityFromSeed(seed)
}

function parseIdentityFile(text: string, path: string): Uint8Array {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new SwarmswapError('INVALID_ARGUMENT', `identity file ${path} is not JSON`, { cause: error })
  }
  const parsed = identityFileSchema.safeParse(json)
  if (!parsed.success) {
    throw new SwarmswapError('INVALID_ARGUMENT', `identity file ${path} is malformed`, {
      details: { issues: parsed.error.issues },
    })
  }
  return Buffer.from(parsed.data.seed, 'hex')
}

function identityFromSeed(seed: Uint8Array): Identity {
  const { publicKey, secretKey } = crypto.keyPair(Buffer.from(seed))
  return { publicKey, secretKey }
}
