import test from 'ava'
import { isSwarmswapError } from '../../../src/errors.js'
import {
  classifySendRefusal,
  nodeRpcError,
  type SendRefusal,
  toRpcFailure,
} from '../../../src/swap/adapters/evm-rpc-errors.js'

/** eth_sendRawTransaction refusals as anvil 1.7.1 words them (recorded against a real anvil), and geth. */
const refusals: { node: 'anvil' | 'geth'; message: string; refusal: SendRefusal }[] = [
  { node: 'anvil', message: 'transaction already imported', refusal: 'known' },
  { node: 'geth', message: 'already known', refusal: 'known' },
  { node: 'anvil', message: 'nonce too low', refusal: 'nonce-used' },
  { node: 'geth', message: 'nonce too low: address 0xf39F, tx: 0 state: 1', refusal: 'nonce-used' },
  { node: 'anvil', message: 'Insufficient funds for gas * price + value', refusal: 'retry' },
  {
    node: 'geth',
    message: 'insufficient funds for gas * price + value: address 0xf39F have 0 want 1',
    refusal: 'retry',
  },
  { node: 'anvil', message: 'replacement transaction underpriced', refusal: 'retry' },
  { node: 'anvil', message: 'max fee per gas less than block base fee', refusal: 'retry' },
  { node: 'geth', message: 'transaction underpriced', refusal: 'retry' },
  { node: 'geth', message: 'txpool is full', refusal: 'retry' },
  { node: 'anvil', message: 'intrinsic gas too low', refusal: 'dropped' },
  {
    node: 'anvil',
    message: 'intrinsic gas too high -- tx.gas_limit > env.block.gas_limit',
    refusal: 'dropped',
  },
  { node: 'anvil', message: 'invalid chain id for signer', refusal: 'dropped' },
  { node: 'geth', message: 'exceeds block gas limit', refusal: 'dropped' },
  { node: 'geth', message: 'invalid sender', refusal: 'dropped' },
  { node: 'anvil', message: 'execution reverted', refusal: 'unknown' },
  { node: 'geth', message: 'something new', refusal: 'unknown' },
]

for (const { node, message, refusal } of refusals) {
  test(`${node} "${message}" means ${refusal}`, (t) => {
    t.is(classifySendRefusal(message), refusal)
  })
}

// The shapes ethers 6 throws for a node's JSON-RPC error: recognised (info.error) and not (error).
const rpcError = { code: -32003, message: 'nonce too low' }
const wrapped: { description: string; error: unknown; expected: typeof rpcError | undefined }[] = [
  {
    description: 'a recognised error (NONCE_EXPIRED)',
    error: { code: 'NONCE_EXPIRED', info: { error: rpcError } },
    expected: rpcError,
  },
  {
    description: 'an error ethers could not coalesce',
    error: { code: 'UNKNOWN_ERROR', error: rpcError },
    expected: rpcError,
  },
  {
    description: 'a refused connection',
    error: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    expected: undefined,
  },
  {
    description: 'a malformed error object',
    error: { error: { code: 'x', message: 1 } },
    expected: undefined,
  },
  { description: 'null', error: null, expected: undefined },
]

for (const { description, error, expected } of wrapped) {
  test(`nodeRpcError reads ${description}`, (t) => {
    t.deepEqual(nodeRpcError(error), expected)
  })
}

test('toRpcFailure: transport failures are RPC_UNREACHABLE, node answers RPC_ERROR, bugs stay themselves', (t) => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })
  t.true(isSwarmswapError(toRpcFailure(refused, 'x'), 'RPC_UNREACHABLE'))
  const answered = toRpcFailure(
    { code: 'UNKNOWN_ERROR', error: { code: -32601, message: 'no such method' } },
    'x',
  )
  t.true(isSwarmswapError(answered, 'RPC_ERROR'))
  t.is(isSwarmswapError(answered) ? answered.details.rpcCode : undefined, -32601)
  const bug = new TypeError('x is undefined')
  t.is(toRpcFailure(bug, 'x'), bug)
})
