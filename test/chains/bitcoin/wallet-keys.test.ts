import { randomBytes } from 'node:crypto'
import test from 'ava'
import { BIP32Factory } from 'bip32'
import { bitcoin, ecc } from '../../../src/chains/bitcoin/ecc.js'
import { type BitcoinNetworkName, bitcoinNetwork } from '../../../src/chains/bitcoin/networks.js'
import { AddressBook } from '../../../src/chains/bitcoin/wallet-addresses.js'
import { Bip84Account, seedFromMnemonic } from '../../../src/chains/bitcoin/wallet-keys.js'
import { isSwarmswapError } from '../../../src/errors.js'
// Addresses and swap public keys derived independently with bcoin's HD code (scratch generator);
// xprv/xpub and the first key are BIP84's published test vector.
import fixtures from '../../fixtures/bitcoin/wallet-keys.json' with { type: 'json' }
import { hex } from '../../helpers/bytes.js'

type Fixture = (typeof fixtures.valid)[number]

function accountOf(fixture: Fixture): Bip84Account {
  const network = bitcoinNetwork(fixture.network as BitcoinNetworkName)
  return new Bip84Account(seedFromMnemonic(fixture.mnemonic, fixture.passphrase), network, fixture.account)
}

for (const fixture of fixtures.valid) {
  test(`derives: ${fixture.description}`, (t) => {
    const account = accountOf(fixture)
    t.is(account.path, fixture.path)
    // Fixture receive addresses are indexes 0, 1 and 19 (the last inside the default gap limit).
    t.deepEqual(
      [0, 1, 19].map((index) => account.address(0, index)),
      fixture.receive,
    )
    t.deepEqual(
      [0, 1].map((index) => account.address(1, index)),
      fixture.change,
    )
    for (const expected of fixture.swapKeys) {
      const key = account.swapKey(expected.index)
      t.is(key.path, expected.path)
      t.is(hex(key.publicKey), expected.publicKey)
      t.is(hex(key.signer.publicKey), expected.publicKey)
    }
  })
}

test('BIP84 vector: account zprv/zpub and the first receive key', (t) => {
  const fixture = fixtures.valid[0] as Fixture & {
    extendedPrivateKey: string
    extendedPublicKey: string
    firstReceiveKey: { publicKey: string; wif: string }
  }
  const account = accountOf(fixture)
  t.is(account.extendedPrivateKey, fixture.extendedPrivateKey)
  t.is(account.extendedPublicKey, fixture.extendedPublicKey)
  t.is(hex(account.publicKey(0, 0)), fixture.firstReceiveKey.publicKey)
  t.is(account.signer(0, 0).toWIF(), fixture.firstReceiveKey.wif)
})

test('testnet-family accounts export vprv/vpub that decode to the same account key', (t) => {
  const account = accountOf(fixtures.valid[2] as Fixture)
  t.true(account.extendedPrivateKey.startsWith('vprv'))
  t.true(account.extendedPublicKey.startsWith('vpub'))
  const versions = { ...bitcoin.networks.regtest, bip32: { public: 0x045f1cf6, private: 0x045f18bc } }
  const decoded = BIP32Factory(ecc).fromBase58(account.extendedPublicKey, versions)
  t.is(hex(decoded.derive(0).derive(0).publicKey), hex(account.publicKey(0, 0)))
})

test('the passphrase changes every key', (t) => {
  const withPassphrase = fixtures.valid[1] as Fixture
  const without = new Bip84Account(seedFromMnemonic(withPassphrase.mnemonic), bitcoinNetwork('testnet'))
  t.is(withPassphrase.passphrase, 'TREZOR')
  t.not(without.address(0, 0), withPassphrase.receive[0])
  t.not(hex(without.swapKey(0).publicKey), withPassphrase.swapKeys[0]?.publicKey)
})

test('signet and testnet share coin type 1 and addresses; regtest has the same keys with bcrt', (t) => {
  const seed = seedFromMnemonic(fixtures.valid[0]?.mnemonic ?? '')
  const testnet = new Bip84Account(seed, bitcoinNetwork('testnet'))
  const signet = new Bip84Account(seed, bitcoinNetwork('signet'))
  const regtest = new Bip84Account(seed, bitcoinNetwork('regtest'))
  t.is(signet.address(0, 0), testnet.address(0, 0))
  t.is(hex(regtest.publicKey(0, 0)), hex(testnet.publicKey(0, 0)))
  t.true(regtest.address(0, 0).startsWith('bcrt1q'))
})

test('swap keys sign with low R: DER signature of at most 70 bytes, r below 2^255', (t) => {
  const key = new Bip84Account(
    seedFromMnemonic(fixtures.valid[0]?.mnemonic ?? ''),
    bitcoinNetwork('regtest'),
  ).swapKey(3)
  for (let i = 0; i < 64; i++) {
    const hash = randomBytes(32)
    const signature = key.signer.sign(hash)
    t.true((signature[0] ?? 0xff) < 0x80, 'r is low')
    t.true(bitcoin.script.signature.encode(signature, 1).length <= 71)
    t.true(key.signer.verify(hash, signature))
  }
})

test('swap keys are distinct from every receive and change key', (t) => {
  const account = new Bip84Account(
    seedFromMnemonic(fixtures.valid[0]?.mnemonic ?? ''),
    bitcoinNetwork('regtest'),
  )
  const swapKey = hex(account.swapKey(0).publicKey)
  t.not(swapKey, hex(account.publicKey(0, 0)))
  t.not(swapKey, hex(account.publicKey(1, 0)))
  t.not(hex(account.swapKey(1).publicKey), swapKey)
})

for (const fixture of fixtures.invalidMnemonics) {
  test(`rejects mnemonic: ${fixture.description}`, (t) => {
    const error = t.throws(() => seedFromMnemonic(fixture.mnemonic))
    t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'))
  })
}

for (const fixture of fixtures.invalidIndexes) {
  test(`rejects index: ${fixture.description}`, (t) => {
    const account = new Bip84Account(
      seedFromMnemonic(fixtures.valid[0]?.mnemonic ?? ''),
      bitcoinNetwork('regtest'),
    )
    t.true(
      isSwarmswapError(
        t.throws(() => account.swapKey(fixture.index)),
        'INVALID_ARGUMENT',
      ),
    )
    t.true(
      isSwarmswapError(
        t.throws(() => account.address(0, fixture.index)),
        'INVALID_ARGUMENT',
      ),
    )
    const error = t.throws(
      () => new Bip84Account(new Uint8Array(64), bitcoinNetwork('regtest'), fixture.index),
    )
    t.true(isSwarmswapError(error, 'INVALID_ARGUMENT'))
  })
}

test('address book watches gapLimit addresses past the last used or handed-out one', (t) => {
  const account = new Bip84Account(
    seedFromMnemonic(fixtures.valid[0]?.mnemonic ?? ''),
    bitcoinNetwork('regtest'),
  )
  const book = new AddressBook(account, 5)
  t.is(book.lookup(account.script(0, 4))?.index, 4)
  t.is(book.lookup(account.script(0, 5)), undefined)
  t.is(book.lookup(account.script(1, 4))?.branch, 1)

  const used = book.lookup(account.script(0, 4))
  if (used === undefined) return t.fail()
  book.markUsed(used)
  t.is(book.lookup(account.script(0, 9))?.index, 9)
  t.is(book.lookup(account.script(0, 10)), undefined)
  t.is(book.next(0).index, 5, 'never hands out an index at or below a used one')
  t.is(book.next(0).index, 6)
  t.is(book.lookup(account.script(0, 11))?.index, 11, 'handing out moves the window too')
  t.is(book.next(1).index, 0, 'branches are independent')
})
