import { Contract, ContractFactory, type ContractRunner, getAddress, type Signer } from 'ethers'
import { z } from 'zod'
import { SwarmswapError } from '../../errors.js'
import { type ContractName, loadArtifact } from './artifacts.js'
import { decodeRevert } from './revert.js'

/** The ERC-20 calls swarmswap needs, plus `mint` of the regtest TestToken. */
export class Erc20 {
  readonly address: string
  private readonly contract: Contract

  constructor(address: string, runner: ContractRunner) {
    this.address = getAddress(address)
    this.contract = new Contract(this.address, loadArtifact('TestToken').abi, runner)
  }

  async balanceOf(owner: string): Promise<bigint> {
    return z.bigint().parse(await this.contract.getFunction('balanceOf').staticCall(owner))
  }

  async allowance(owner: string, spender: string): Promise<bigint> {
    return z.bigint().parse(await this.contract.getFunction('allowance').staticCall(owner, spender))
  }

  /** Sets the runner's allowance for `spender` (the HTLC) before an ERC-20 lock. */
  async approve(spender: string, amount: bigint): Promise<void> {
    await this.send('approve', [spender, amount])
  }

  /** TestToken only: anyone may mint on regtest. */
  async mint(to: string, amount: bigint): Promise<void> {
    await this.send('mint', [to, amount])
  }

  private async send(method: 'approve' | 'mint', args: unknown[]): Promise<void> {
    try {
      const response = await this.contract.getFunction(method).send(...args)
      await response.wait()
    } catch (error) {
      throw decodeRevert(error, this.contract.interface, `token ${method}`)
    }
  }
}

/** Deploys a compiled contract without constructor arguments and returns its address. */
export async function deployContract(name: ContractName, signer: Signer): Promise<string> {
  const { abi, bytecode } = loadArtifact(name)
  try {
    const contract = await new ContractFactory(abi, bytecode, signer).deploy()
    await contract.waitForDeployment()
    return getAddress(await contract.getAddress())
  } catch (cause) {
    throw new SwarmswapError('TX_REJECTED', `deploying ${name} failed`, {
      cause,
      details: { contract: name },
    })
  }
}

/** Deploys the regtest ERC-20 (18 decimals, mintable by anyone). */
export async function deployTestToken(signer: Signer): Promise<Erc20> {
  return new Erc20(await deployContract('TestToken', signer), signer)
}
