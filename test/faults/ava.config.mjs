// The fault suite (`npm run test:faults`): the same setup as package.json's ava config, its own files.
export default {
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false,
  // One file at a time: each runs many traders on its own regtest chains, and two cores are all there is.
  concurrency: 1,
  files: ['test/faults/**/*.test.ts'],
  timeout: '300s',
}
