import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'ava'
import crypto from 'hypercore-crypto'
import { isSwarmswapError } from '../../src/errors.js'
import { IDENTITY_FILE, loadOrCreateIdentity } from '../../src/p2p/identity.js'

const dirs: string[] = []
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'swarmswap-identity-'))
  dirs.push(dir)
  return dir
}
test.after.always(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })))
})

test('creates an identity file readable by the owner only, and loads the same key from it', async (t) => {
  const dir = join(await tempDir(), 'nested')
  const first = await loadOrCreateIdentity(dir)
  t.is(first.publicKey.byteLength, 32)
  t.is(first.secretKey.byteLength, 64)
  t.is((await stat(join(dir, IDENTITY_FILE))).mode & 0o777, 0o600)
  const again = await loadOrCreateIdentity(dir)
  t.deepEqual(Buffer.from(again.publicKey), Buffer.from(first.publicKey))
  const signature = crypto.sign(Buffer.from('hello'), again.secretKey)
  t.true(crypto.verify(Buffer.from('hello'), signature, first.publicKey), 'the key pair signs')
})

test('two directories get two identities', async (t) => {
  const a = await loadOrCreateIdentity(await tempDir())
  const b = await loadOrCreateIdentity(await tempDir())
  t.notDeepEqual(Buffer.from(a.publicKey), Buffer.from(b.publicKey))
})

const corrupt = ['not json', '{}', '{"version":1,"seed":"abc"}', `{"version":2,"seed":"${'a'.repeat(64)}"}`]
for (const text of corrupt) {
  test(`refuses a corrupt identity file: ${text.slice(0, 30)}`, async (t) => {
    const dir = await tempDir()
    await writeFile(join(dir, IDENTITY_FILE), text)
    const error = await t.throwsAsync(loadOrCreateIdentity(dir))
    t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'))
    t.is(await readFile(join(dir, IDENTITY_FILE), 'utf8'), text, 'the file is left alone')
  })
}
