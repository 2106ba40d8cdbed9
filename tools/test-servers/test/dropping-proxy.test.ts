import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Socket } from 'node:net';
import { describe, it } from 'vitest';
import { type DroppingProxy, startDroppingProxy, startRedis } from '../src/index.js';

async function dial(proxy: DroppingProxy): Promise<{ socket: Socket; replies: string[] }> {
  const socket = new Socket();
  const replies: string[] = [];
  socket.on('data', (chunk: Buffer) => replies.push(chunk.toString()));
  socket.connect(proxy.port, '127.0.0.1');
  await once(socket, 'connect');
  return { socket, replies };
}

describe('the dropping proxy', () => {
  it('forwards; while dropping, no byte passes and nothing closes; after restore, only new connections work', async () => {
    const redis = await startRedis();
    const proxy = await startDroppingProxy({ port: redis.port });
    const sockets: Socket[] = [];
    try {
      const before = await dial(proxy);
      sockets.push(before.socket);
      before.socket.write('PING\r\n');
      await once(before.socket, 'data');
      assert.deepEqual(before.replies, ['+PONG\r\n']);

      proxy.drop();
      const during = await dial(proxy); // accepted, as a black hole's kernel would not tell
      sockets.push(during.socket);
      before.socket.write('PING\r\n');
      during.socket.write('PING\r\n');
      proxy.restore();
      const after = await dial(proxy);
      sockets.push(after.socket);
      after.socket.write('PING\r\n');
      await once(after.socket, 'data');
      assert.deepEqual(after.replies, ['+PONG\r\n']);
      // The new connection's answer came back: the dropped ones would have by now.
      assert.deepEqual(before.replies, ['+PONG\r\n'], 'a byte passed on a dropped connection');
      assert.deepEqual(during.replies, [], 'a connection opened while dropping reached the server');
      assert.equal(before.socket.destroyed, false, 'the proxy closed a dropped connection');
    } finally {
      for (const socket of sockets) socket.destroy();
      await proxy.dispose();
      await redis.dispose();
    }
  });
});
