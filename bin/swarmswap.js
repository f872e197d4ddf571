#!/usr/bin/env node
// Runs the TypeScript entry point through tsx's loader, so the package needs no separate build step.
import { register } from 'tsx/esm/api'

register()
await import('../src/bin/swarmswap.ts')
