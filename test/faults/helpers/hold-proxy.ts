// A TCP relay that can hold traffic in one or both directions (buffered, not dropped): a request stays "in flight" as long as a test wants.
import net from 'node:net';

export type Direction = 'up' | 'down';

export interface HoldProxy {
  port: number;
  /** Stops forwarding `directions` ('up': client → target, 'down': target → client); bytes wait in memory. */
  hold(...directions: Direction[]): void;
  /** Forwards what waited and everything after. */
  release(): void;
  close(): Promise<void>;
}

export async function startHoldProxy(target: { host: string; port: number }): Promise<HoldProxy> {
  const held = new Set<Direction>();
  const pipes = new Set<{ direction: Direction; flush(): void; destroy(): void }>();

  function relay(from: net.Socket, to: net.Socket, direction: Direction) {
    const waiting: Buffer[] = [];
    const pipe = {
      direction,
      flush() {
        while (waiting.length > 0 && !to.destroyed) to.write(waiting.shift()!);
      },
      destroy() {
        from.destroy();
        to.destroy();
      },
    };
    pipes.add(pipe);
    from.on('data', (chunk: Buffer) => {
      if (held.has(direction)) waiting.push(chunk);
      else {
        pipe.flush();
        to.write(chunk);
      }
    });
    const end = () => {
      pipes.delete(pipe);
      to.destroy();
    };
    from.on('close', end).on('error', end);
  }

  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    relay(client, upstream, 'up');
    relay(upstream, client, 'down');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    port: (server.address() as net.AddressInfo).port,
    hold(...directions) {
      for (const d of directions.length ? directions : (['up', 'down'] as const)) held.add(d);
    },
    release() {
      held.clear();
      for (const pipe of pipes) pipe.flush();
    },
    async close() {
      for (const pipe of pipes) pipe.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
