import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { Socket } from 'node:net';
import { describe, it } from 'vitest';
import { ask, ephemeralRange, freePort, startMemcached, startRedis } from '../src/index.js';

/** Resolves with the error of a connection attempt, or undefined if one was accepted. */
function dial(port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', resolve);
    socket.connect(port, '127.0.0.1');
  });
}

describe('private servers', () => {
  it('a private redis answers as soon as start resolves, and its port is closed as soon as kill resolves', async () => {
    const redis = await startRedis();
    try {
      // No wait and no retry: each step is checked the moment the previous one resolved.
      assert.equal(await ask(redis.port, 'PING\r\n'), '+PONG\r\n');
      await redis.kill();
      assert.equal((await dial(redis.port))?.code, 'ECONNREFUSED');
      await redis.start();
      assert.equal(await ask(redis.port, 'PING\r\n'), '+PONG\r\n');
    } finally {
      await redis.dispose();
    }
  });

  it('a private redis with persistence on keeps its files to itself: nothing in the working directory, nothing from an earlier server', async () => {
    const before = readdirSync(process.cwd());
    const first = await startRedis(['--appendonly', 'yes']);
    try {
      assert.equal(await ask(first.port, 'SET left-behind 1\r\n'), '+OK\r\n');
      // The AOF survives a restart of the same server...
      await first.kill();
      await first.start();
      assert.equal(await ask(first.port, 'EXISTS left-behind\r\n'), ':1\r\n');
    } finally {
      await first.dispose();
    }
    // ...but never reaches another one, nor the caller's directory.
    const second = await startRedis(['--appendonly', 'yes']);
    try {
      assert.equal(await ask(second.port, 'EXISTS left-behind\r\n'), ':0\r\n');
    } finally {
      await second.dispose();
    }
    assert.deepEqual(readdirSync(process.cwd()), before);
  });

  it('a private memcached answers as soon as start resolves, and its port is closed as soon as kill resolves', async () => {
    const memcached = await startMemcached();
    try {
      for (let round = 0; round < 3; round++) {
        assert.match(await ask(memcached.port, 'version\r\n'), /^VERSION /);
        await memcached.kill();
        assert.equal((await dial(memcached.port))?.code, 'ECONNREFUSED');
        await memcached.start();
      }
      assert.match(await ask(memcached.port, 'version\r\n'), /^VERSION /);
    } finally {
      await memcached.dispose();
    }
  });

  it('a paused redis takes connections but answers nothing until it is resumed', async () => {
    const redis = await startRedis();
    try {
      await redis.pause();
      // A stopped process cannot answer at all, so the short wait is never what passes.
      await assert.rejects(ask(redis.port, 'PING\r\n', 300), /did not answer/);
      const socket = new Socket();
      const reply = new Promise<string>((resolve, reject) => {
        socket.once('data', (data) => resolve(data.toString()));
        socket.once('error', reject);
      });
      socket.connect(redis.port, '127.0.0.1', () => socket.write('PING\r\n'));
      await redis.resume();
      assert.equal(await reply, '+PONG\r\n');
      socket.destroy();
    } finally {
      await redis.dispose();
    }
  });

  it('hands out ports below the ephemeral range, which no outgoing connection can take', async () => {
    const [low] = ephemeralRange();
    for (let i = 0; i < 20; i++) {
      const port = await freePort();
      assert.ok(port < low, `port ${port} is in the ephemeral range from ${low}`);
      assert.ok(port >= 1024, `port ${port} is privileged`);
    }
  });
});
