import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP relay in front of MySQL that counts the statements its clients send: every client command
 * starts a packet with sequence id 0, and its first payload byte says which command it is
 * (COM_QUERY 0x03 carries the SQL text; COM_STMT_EXECUTE 0x17 runs a prepared statement). Server
 * processes given its URL are measured alone — unlike MariaDB's global `Questions`, which counts
 * every other test file's work on the same server too.
 */
export interface MysqlCounter {
  url: string;
  counts(): { statements: number; selects: number };
  close(): Promise<void>;
}

const COM_QUERY = 0x03;
const COM_STMT_EXECUTE = 0x17;

export async function startMysqlCounter(databaseUrl: string): Promise<MysqlCounter> {
  const target = new URL(databaseUrl);
  let statements = 0;
  let selects = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 3306), target.hostname);
    sockets.add(client).add(upstream);
    let pending: Buffer = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 4) {
        const len = pending.readUIntLE(0, 3);
        if (pending.length < 4 + len) break;
        if (pending[3] === 0 && len > 0) {
          const cmd = pending[4];
          if (cmd === COM_QUERY || cmd === COM_STMT_EXECUTE) statements++;
          if (cmd === COM_QUERY && /^\s*\(?\s*select\b/i.test(pending.subarray(5, 5 + Math.min(len - 1, 64)).toString('latin1'))) selects++;
        }
        pending = pending.subarray(4 + len);
      }
    });
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as { port: number }).port);
  return {
    url: url.toString(),
    counts: () => ({ statements, selects }),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
