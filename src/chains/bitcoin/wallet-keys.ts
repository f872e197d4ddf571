/**
 * BIP84 key derivation for the wallet: one account `m/84'/coin'/account'` (coin 0 on mainnet, 1 on
 * testnet, signet and regtest) with three unhardened branches below it:
 *   0  receive addresses (P2WPKH), BIP84
 *   1  change addresses (P2WPKH), BIP84
 *   2  swap keys: HTLC claim and refund keys, `m/84'/coin'/account'/2/index`. Never an address the wallet
 *      watches; each swap must use its own index, which the caller (the swap engine) allocates and stores,
 *      because reusing a key across swaps links them on chain and lets one swap's signature be replayed
 *      in a look-alike script.
 */
import { mnemonicToSeedSync, validateMnemonic } from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import { BIP32Factory, type BIP32Interface } from 'bip32'
import { SwarmswapError } from '../../errors.js'
import { Memo } from '../../memo.js'
import { bitcoin, ECPair, type ECPairInterface, ecc } from './ecc.js'

const bip32 = BIP32Factory(ecc)

export const RECEIVE_BRANCH = 0
export const CHANGE_BRANCH = 1
export const SWAP_KEY_BRANCH = 2

/** The branches that hold the wallet's own P2WPKH addresses. */
export type AddressBranch = typeof RECEIVE_BRANCH | typeof CHANGE_BRANCH

/** Largest unhardened BIP32 index. */
const MAX_INDEX = 0x7fffffff

/** SLIP-132 version bytes of BIP84 extended keys: zprv/zpub on mainnet, vprv/vpub elsewhere. */
const BIP84_VERSIONS = {
  mainnet: { private: 0x04b2430c, public: 0x04b24746 },
  test: { private: 0x045f18bc, public: 0x045f1cf6 },
}

/** A key that signs swap transactions; `signer` produces low-R signatures (71-byte DER + sighash at most). */
export interface SwapKey {
  index: number
  /** Full BIP32 path, e.g. `m/84'/1'/0'/2/7`. */
  path: string
  /** 33-byte compressed public key. */
  publicKey: Uint8Array
  signer: ECPairInterface
}

/** Turns a BIP39 mnemonic (+ optional passphrase) into the 64-byte seed; INVALID_ARGUMENT if the words or checksum are wrong. */
export function seedFromMnemonic(mnemonic: string, passphrase = ''): Uint8Array {
  const normalized = mnemonic.trim().split(/\s+/).join(' ')
  if (!validateMnemonic(normalized, wordlist)) {
    throw new SwarmswapError('INVALID_ARGUMENT', 'not a valid BIP39 English mnemonic')
  }
  return mnemonicToSeedSync(normalized, passphrase)
}

function checkIndex(index: number, what: string): void {
  if (!Number.isSafeInteger(index) || index < 0 || index > MAX_INDEX) {
    throw new SwarmswapError('INVALID_ARGUMENT', `${what} must be an integer in [0, 2^31)`, {
      details: { index },
    })
  }
}

/** The BIP84 account of a seed on one network, with address and swap-key derivation. */
export class Bip84Account {
  readonly network: bitcoin.networks.Network
  /** `m/84'/coin'/account'`. */
  readonly path: string
  private readonly node: BIP32Interface
  private readonly branches = new Map<number, BIP32Interface>()
  /** Derived keys by `branch/index`: a swap's key is used on every read and signature, and deriving costs. */
  private readonly children = new Memo<BIP32Interface>()

  constructor(seed: Uint8Array, network: bitcoin.networks.Network, account = 0) {
    checkIndex(account, 'account')
    const mainnet = network.bech32 === bitcoin.networks.bitcoin.bech32
    const versions = mainnet ? BIP84_VERSIONS.mainnet : BIP84_VERSIONS.test
    this.network = network
    this.path = `m/84'/${mainnet ? 0 : 1}'/${account}'`
    this.node = bip32.fromSeed(seed, { ...network, bip32: versions }).derivePath(this.path)
  }

  /** Account extended private key, SLIP-132 encoded (zprv / vprv). A backup secret: never log it. */
  get extendedPrivateKey(): string {
    return this.node.toBase58()
  }

  /** Account extended public key (zpub / vpub): enough to watch, not to spend. */
  get extendedPublicKey(): string {
    return this.node.neutered().toBase58()
  }

  private child(branch: number, index: number): BIP32Interface {
    checkIndex(index, 'key index')
    return this.children.get(`${branch}/${index}`, () => {
      let node = this.branches.get(branch)
      if (node === undefined) {
        node = this.node.derive(branch)
        this.branches.set(branch, node)
      }
      return node.derive(index)
    })
  }

  /** Compressed public key of an address key. */
  publicKey(branch: AddressBranch, index: number): Uint8Array {
    return this.child(branch, index).publicKey
  }

  /** P2WPKH output script of an address key. */
  script(branch: AddressBranch, index: number): Uint8Array {
    return bitcoin.payments.p2wpkh({ pubkey: this.publicKey(branch, index) }).output as Uint8Array
  }

  /** Bech32 P2WPKH address of an address key. */
  address(branch: AddressBranch, index: number): string {
    return bitcoin.payments.p2wpkh({ pubkey: this.publicKey(branch, index), network: this.network })
      .address as string
  }

  /** Low-R signer for an address key (branch 0 or 1). */
  signer(branch: AddressBranch, index: number): ECPairInterface {
    return this.lowRSigner(this.child(branch, index))
  }

  /** Claim/refund key for the swap the caller numbered `index` (see the module comment: one index per swap). */
  swapKey(index: number): SwapKey {
    const node = this.child(SWAP_KEY_BRANCH, index)
    return {
      index,
      path: `${this.path}/${SWAP_KEY_BRANCH}/${index}`,
      publicKey: node.publicKey,
      signer: this.lowRSigner(node),
    }
  }

  private lowRSigner(node: BIP32Interface): ECPairInterface {
    const signer = ECPair.fromPrivateKey(node.privateKey as Uint8Array, { network: this.network })
    signer.lowR = true
    return signer
  }
}
