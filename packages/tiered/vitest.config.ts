import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

// One test file at a time: the interleaving explorer keeps a core busy for
// half a minute, and next to it the files that race 50 writers on one
// PostgreSQL session would time out on a small machine.
export default mergeConfig(shared, defineConfig({ test: { fileParallelism: false } }));
