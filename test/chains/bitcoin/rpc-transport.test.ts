import { createServer, type Server, type Socket } from 'node:net'
import test from 'ava'
import { PostFailure, RpcTransport } from '../../../src/chains/bitcoin/rpc-transport.js'

/**
 * The transport against a raw TCP server that speaks just enough HTTP/1.1 to answer with keep-alive, so a
 * test decides what happens to each request on each connection: answered, or the connection reset unread.
 */
interface Lab {
  url: string
  /** How many connections the server accepted. */
  connections(): number
  /** The bodies of the requests the server answered, in order. */
  answered: string[]
  close(): Promise<void>
}

/** `reset(connection, request)`: whether the n-th request (from 1) on the n-th connection is reset unread. */
async function lab(reset: (connection: number, request: number) => boolean): Promise<Lab> {
  const answered: string[] = []
  const sockets = new Set<Socket>()
  let connections = 0
  const server: Server = createServer((socket) => {
    const connection = ++connections
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let requests = 0
    let buffered = ''
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8')
      for (;;) {
        const headerEnd = buffered.indexOf('\r\n\r\n')
        if (headerEnd < 0) return
        const length = Number(/content-length: *(\d+)/i.exec(buffered.slice(0, headerEnd))?.[1] ?? 0)
        if (buffered.length < headerEnd + 4 + length) return
        const body = buffered.slice(headerEnd + 4, headerEnd + 4 + length)
        buffered = buffered.slice(headerEnd + 4 + length)
        if (reset(connection, ++requests)) {
          socket.resetAndDestroy()
          return
        }
        answered.push(body)
        const reply = `{"echo":${body}}`
        socket.write(
          `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: keep-alive\r\nContent-Length: ${Buffer.byteLength(reply)}\r\n\r\n${reply}`,
        )
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  return {
    url: `http://127.0.0.1:${address.port}/`,
    connections: () => connections,
    answered,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

test('requests reuse one kept-alive connection', async (t) => {
  const server = await lab(() => false)
  try {
    const transport = new RpcTransport(server.url, 5_000)
    for (const n of [1, 2, 3]) {
      t.deepEqual(await transport.post(`${n}`, 'Basic x'), { status: 200, text: `{"echo":${n}}` })
    }
    t.is(server.connections(), 1)
  } finally {
    await server.close()
  }
})

test('a request on a reused connection the node reset is sent once more on a new one', async (t) => {
  // The second request on the first connection meets a reset, as when the node closed it while idle.
  const server = await lab((connection, request) => connection === 1 && request === 2)
  try {
    const transport = new RpcTransport(server.url, 5_000)
    await transport.post('1', 'Basic x')
    t.deepEqual(await transport.post('2', 'Basic x'), { status: 200, text: '{"echo":2}' })
    t.is(server.connections(), 2)
    t.deepEqual(server.answered, ['1', '2'], 'each request answered once')
  } finally {
    await server.close()
  }
})

test('a reset on a new connection is unreachable, and not sent again', async (t) => {
  const server = await lab(() => true)
  try {
    const transport = new RpcTransport(server.url, 5_000)
    const error = await t.throwsAsync(transport.post('1', 'Basic x'), { instanceOf: PostFailure })
    t.is(error?.kind, 'unreachable')
    t.is(server.connections(), 1)
  } finally {
    await server.close()
  }
})

test('a reset again after the repeat is unreachable', async (t) => {
  const server = await lab((connection, request) => connection > 1 || request === 2)
  try {
    const transport = new RpcTransport(server.url, 5_000)
    await transport.post('1', 'Basic x')
    const error = await t.throwsAsync(transport.post('2', 'Basic x'), { instanceOf: PostFailure })
    t.is(error?.kind, 'unreachable')
    t.is(server.connections(), 2, 'one repeat, no more')
  } finally {
    await server.close()
  }
})
