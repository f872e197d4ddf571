import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { validateMnemonic } from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import test from 'ava'
import { openSeed } from '../../src/daemon/keys.js'
import { DatadirLock } from '../../src/daemon/lock.js'
import { isSwarmswapError } from '../../src/errors.js'

/** Cheap scrypt for tests; the daemon's default (2^17) is checked on a real seed file in api.test.ts. */
const FAST = { N: 2 ** 10, r: 8, p: 1 }
const RESTORE =
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about'

let root = ''
test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'swarmswap-keys-'))
})
test.after.always(async () => {
  if (root) await rm(root, { recursive: true, force: true })
})

function seedOptions(
  datadir: string,
  password: string,
  shown: string[],
  extra: { restoreWords?: string } = {},
) {
  return {
    datadir,
    password: async () => password,
    birthday: async () => 321,
    showWords: async (words: string) => {
      shown.push(words)
    },
    scrypt: FAST,
    ...extra,
  }
}

test('a new seed is created encrypted (0600), its words shown once, and reopens with the password', async (t) => {
  const datadir = await mkdtemp(join(root, 'new-'))
  const shown: string[] = []
  const created = await openSeed(seedOptions(datadir, 'pw', shown))
  t.true(created.created)
  t.is(created.birthday, 321)
  t.true(validateMnemonic(created.mnemonic, wordlist))
  t.deepEqual(shown, [created.mnemonic])
  const path = join(datadir, 'seed.json')
  t.is((await stat(path)).mode & 0o777, 0o600)
  const text = await readFile(path, 'utf8')
  t.false(text.includes(created.mnemonic.split(' ')[0] ?? '-'), 'no word in clear')

  const opened = await openSeed({
    ...seedOptions(datadir, 'pw', shown),
    birthday: async () => t.fail('asked') as never,
  })
  t.deepEqual(opened, { mnemonic: created.mnemonic, birthday: 321, created: false })
  t.is(shown.length, 1, 'the words are never shown again')
})

test('a wrong password is refused and changes nothing', async (t) => {
  const datadir = await mkdtemp(join(root, 'wrong-'))
  await openSeed(seedOptions(datadir, 'right', []))
  const before = await readFile(join(datadir, 'seed.json'))
  const error = await t.throwsAsync(openSeed(seedOptions(datadir, 'wrong', [])))
  t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'))
  t.regex(error?.message ?? '', /wrong password/)
  t.deepEqual(await readFile(join(datadir, 'seed.json')), before)
})

test('a changed birthday or ciphertext is detected', async (t) => {
  const datadir = await mkdtemp(join(root, 'tamper-'))
  await openSeed(seedOptions(datadir, 'pw', []))
  const path = join(datadir, 'seed.json')
  const file = JSON.parse(await readFile(path, 'utf8')) as { birthday: number; ciphertext: string }
  await writeFile(path, JSON.stringify({ ...file, birthday: 0 }))
  await t.throwsAsync(openSeed(seedOptions(datadir, 'pw', [])), { message: /wrong password .*altered/ })
  const flipped = (file.ciphertext[0] === '0' ? '1' : '0') + file.ciphertext.slice(1)
  await writeFile(path, JSON.stringify({ ...file, ciphertext: flipped }))
  await t.throwsAsync(openSeed(seedOptions(datadir, 'pw', [])), { message: /wrong password .*altered/ })
  await writeFile(path, '{"version": 2}')
  await t.throwsAsync(openSeed(seedOptions(datadir, 'pw', [])), { message: /not a swarmswap seed file/ })
})

test('restoring from words: birthday 0, words not shown; bad words or an existing seed are refused', async (t) => {
  const datadir = await mkdtemp(join(root, 'restore-'))
  const shown: string[] = []
  const restored = await openSeed(
    seedOptions(datadir, 'pw', shown, { restoreWords: `  ${RESTORE.toUpperCase()}\n` }),
  )
  t.deepEqual(restored, { mnemonic: RESTORE, birthday: 0, created: true })
  t.deepEqual(shown, [])
  await t.throwsAsync(openSeed(seedOptions(datadir, 'pw', [], { restoreWords: RESTORE })), {
    message: /exists: restore into a new data dir only/,
  })
  const other = await mkdtemp(join(root, 'restore-bad-'))
  await t.throwsAsync(openSeed(seedOptions(other, 'pw', [], { restoreWords: `${RESTORE} about` })), {
    message: /not a valid BIP39/,
  })
  await t.throwsAsync(stat(join(other, 'seed.json')), { code: 'ENOENT' })
  await t.throwsAsync(openSeed(seedOptions(other, '', [])), { message: /must not be empty/ })
  await t.throwsAsync(stat(join(other, 'seed.json')), { code: 'ENOENT' })
})

test('the data dir lock refuses a live owner, takes over a dead or unreadable one, and releases', async (t) => {
  const datadir = await mkdtemp(join(root, 'lock-'))
  const lock = new DatadirLock(datadir)
  // The test runner's parent is alive and is not this process.
  await writeFile(lock.path, `${process.ppid}\n`)
  const error = await t.throwsAsync(lock.acquire())
  t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'))
  t.regex(error?.message ?? '', new RegExp(`another swarmswapd \\(pid ${process.ppid}\\)`))
  t.is(await readFile(lock.path, 'utf8'), `${process.ppid}\n`, 'the live lock is untouched')
  await lock.release()
  t.is(
    await readFile(lock.path, 'utf8'),
    `${process.ppid}\n`,
    'release does not remove a lock it does not hold',
  )

  const dead = spawnSync(process.execPath, ['-e', '0']).pid
  await writeFile(lock.path, `${dead}\n`)
  await lock.acquire()
  t.is(await readFile(lock.path, 'utf8'), `${process.pid}\n`)
  await lock.release()
  await t.throwsAsync(stat(lock.path), { code: 'ENOENT' })

  await writeFile(lock.path, 'garbage')
  await lock.acquire()
  t.is(await readFile(lock.path, 'utf8'), `${process.pid}\n`)
  await lock.release()
})
