import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateMnemonic, validateMnemonic } from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import { z } from 'zod'
import { DATADIR_FILES } from '../api/paths.js'
import { SwarmswapError } from '../errors.js'

/**
 * The wallet seed at rest: BIP39 words encrypted with AES-256-GCM under a key scrypt derives from the
 * user's password (random salt and nonce, parameters stored), in `<datadir>/seed.json`, mode 0600. The
 * Bitcoin wallet birthday sits next to it in clear but authenticated (GCM associated data).
 */

/** scrypt cost: 2^17 x 8 x 1 needs 128 MiB and ~0.3 s, the strength bitcoind-style tools use for wallets. */
export const SCRYPT_DEFAULTS = { N: 2 ** 17, r: 8, p: 1 } as const

const hex = z.string().regex(/^([0-9a-f]{2})+$/)
const seedFileSchema = z.strictObject({
  version: z.literal(1),
  kdf: z.strictObject({
    name: z.literal('scrypt'),
    N: z
      .number()
      .int()
      .min(2 ** 10)
      .max(2 ** 22),
    r: z.number().int().min(1).max(32),
    p: z.number().int().min(1).max(16),
    salt: hex,
  }),
  cipher: z.strictObject({ name: z.literal('aes-256-gcm'), nonce: hex, tag: hex }),
  ciphertext: hex,
  /** First Bitcoin block height that can hold a coin of this wallet. */
  birthday: z.number().int().nonnegative(),
  /** Unix ms. */
  createdAt: z.number().int(),
})
type SeedFile = z.infer<typeof seedFileSchema>

export interface Seed {
  mnemonic: string
  birthday: number
}

export interface OpenSeedOptions {
  datadir: string
  /** Asked only when needed; `confirm` on creation (prompts ask twice). */
  password: (purpose: { creating: boolean }) => Promise<string>
  /** Words to restore from (a new data dir only); otherwise new words are generated. */
  restoreWords?: string
  /** The wallet birthday of a new seed (the chain height now); a restored seed scans from 0. */
  birthday: () => Promise<number>
  /** Shown the words of a newly generated seed, once. */
  showWords: (words: string) => Promise<void>
  scrypt?: { N: number; r: number; p: number }
}

/** Opens `<datadir>/seed.json`, or creates it on first start. Wrong password: INVALID_ARGUMENT, nothing changed. */
export async function openSeed(options: OpenSeedOptions): Promise<Seed & { created: boolean }> {
  const path = join(options.datadir, DATADIR_FILES.seed)
  const existing = await readSeedFile(path)
  if (existing !== null) {
    if (options.restoreWords !== undefined) {
      throw new SwarmswapError('INVALID_ARGUMENT', `${path} exists: restore into a new data dir only`)
    }
    const mnemonic = await decryptSeed(existing, await options.password({ creating: false }), path)
    return { mnemonic, birthday: existing.birthday, created: false }
  }
  const restoring = options.restoreWords !== undefined
  const mnemonic = restoring ? normalizeWords(options.restoreWords ?? '') : generateMnemonic(wordlist, 256)
  if (!validateMnemonic(mnemonic, wordlist)) {
    throw new SwarmswapError('INVALID_ARGUMENT', 'the restore words are not a valid BIP39 English mnemonic')
  }
  const password = await options.password({ creating: true })
  const birthday = restoring ? 0 : await options.birthday()
  const file = await encryptSeed(mnemonic, birthday, password, options.scrypt ?? SCRYPT_DEFAULTS)
  const temporary = `${path}.tmp`
  await writeFile(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 })
  await rename(temporary, path)
  if (!restoring) await options.showWords(mnemonic)
  return { mnemonic, birthday, created: true }
}

export async function encryptSeed(
  mnemonic: string,
  birthday: number,
  password: string,
  params: { N: number; r: number; p: number },
): Promise<SeedFile> {
  assertPassword(password)
  const salt = randomBytes(16)
  const nonce = randomBytes(12)
  const key = await deriveKey(password, salt, params)
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  cipher.setAAD(associatedData(birthday))
  const ciphertext = Buffer.concat([cipher.update(mnemonic, 'utf8'), cipher.final()])
  return {
    version: 1,
    kdf: { name: 'scrypt', ...params, salt: salt.toString('hex') },
    cipher: { name: 'aes-256-gcm', nonce: nonce.toString('hex'), tag: cipher.getAuthTag().toString('hex') },
    ciphertext: ciphertext.toString('hex'),
    birthday,
    createdAt: Date.now(),
  }
}

export async function decryptSeed(file: SeedFile, password: string, path: string): Promise<string> {
  const key = await deriveKey(password, Buffer.from(file.kdf.salt, 'hex'), file.kdf)
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(file.cipher.nonce, 'hex'))
  decipher.setAAD(associatedData(file.birthday))
  decipher.setAuthTag(Buffer.from(file.cipher.tag, 'hex'))
  try {
    return Buffer.concat([decipher.update(Buffer.from(file.ciphertext, 'hex')), decipher.final()]).toString(
      'utf8',
    )
  } catch {
    // GCM cannot tell a wrong password from a tampered file; both mean the same to the user.
    throw new SwarmswapError('INVALID_ARGUMENT', `wrong password for ${path} (or the file was altered)`)
  }
}

export async function readSeedFile(path: string): Promise<SeedFile | null> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new SwarmswapError('INVALID_ARGUMENT', `cannot read ${path}: ${(error as Error).message}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = null
  }
  const parsed = seedFileSchema.safeParse(json)
  if (!parsed.success) throw new SwarmswapError('BAD_DATA', `${path} is not a swarmswap seed file`)
  return parsed.data
}

function deriveKey(
  password: string,
  salt: Buffer,
  params: { N: number; r: number; p: number },
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const { N, r, p } = params
    scrypt(
      password.normalize('NFKC'),
      salt,
      32,
      { N, r, p, maxmem: 256 * N * r + 1024 * 1024 },
      (error, key) => (error ? reject(error) : resolve(key)),
    )
  })
}

function associatedData(birthday: number): Buffer {
  return Buffer.from(`swarmswap/seed/v1/birthday=${birthday}`)
}

function assertPassword(password: string): void {
  if (password.length === 0)
    throw new SwarmswapError('INVALID_ARGUMENT', 'the seed password must not be empty')
}

function normalizeWords(text: string): string {
  return text.trim().toLowerCase().split(/\s+/).join(' ')
}
