import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { describe, it } from 'vitest';
import { startRedis } from '../src/index.js';

function ping(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    socket.once('error', reject);
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString());
    });
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
  });
}

describe('private servers', () => {
  it('a private redis answers, dies on kill and comes back on the same port', async () => {
    const redis = await startRedis();
    try {
      assert.equal(await ping(redis.port), '+PONG\r\n');
      await redis.kill();
      await assert.rejects(ping(redis.port), /ECONNREFUSED/);
      await redis.start();
      assert.equal(await ping(redis.port), '+PONG\r\n');
    } finally {
      await redis.dispose();
    }
  });
});
