import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { InterfaceAbi } from 'ethers'
import { z } from 'zod'
import { SwarmswapError } from '../../errors.js'

/** The compiled contracts written by contracts/build.ts. */
export type ContractName =
  | 'HTLC'
  | 'TestToken'
  | 'FeeOnTransferToken'
  | 'ReentrantToken'
  | 'ReentrantReceiver'

export interface ContractArtifact {
  abi: InterfaceAbi
  bytecode: string
  deployedBytecode: string
}

const hexCode = z.string().regex(/^0x([0-9a-f]{2})*$/)
const artifactSchema = z.object({
  abi: z.array(z.record(z.string(), z.unknown())),
  bytecode: hexCode,
  deployedBytecode: hexCode,
})

const BUILD_DIR = new URL('../../../contracts/build/', import.meta.url)
const cache = new Map<ContractName, ContractArtifact>()

/** Reads contracts/build/<name>.json once; NOT_FOUND says how to build it when it is missing. */
export function loadArtifact(name: ContractName): ContractArtifact {
  const cached = cache.get(name)
  if (cached !== undefined) return cached
  const path = fileURLToPath(new URL(`${name}.json`, BUILD_DIR))
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (cause) {
    throw new SwarmswapError('NOT_FOUND', `${path} is missing: run \`npm run build:contracts\` first`, {
      cause,
      details: { contract: name },
    })
  }
  const parsed = artifactSchema.safeParse(JSON.parse(text))
  if (!parsed.success) {
    throw new SwarmswapError('BAD_DATA', `${path} is not a contract artifact: ${parsed.error.message}`)
  }
  const artifact = { ...parsed.data, abi: parsed.data.abi as InterfaceAbi }
  cache.set(name, artifact)
  return artifact
}
