// The runtime's own UDP echo, the floor for bench/dns_bench.ts: every datagram
// goes straight back to its sender. Deno: Deno.listenDatagram (needs
// --unstable-net); Bun: Bun.udpSocket; Node: node:dgram.
// With the argument "tw": the same echo through our reactor.listenUDP, for the
// cost of the UDP transport alone.
// Prints "READY <port>" once bound on 127.0.0.1.
import process from "node:process";

declare const Deno: {
  listenDatagram(o: { hostname: string; port: number; transport: "udp" }): {
    addr: { port: number };
    receive(): Promise<[Uint8Array, unknown]>;
    send(data: Uint8Array, to: unknown): Promise<number>;
  };
};
declare const Bun: {
  udpSocket(o: {
    hostname: string;
    port: number;
    socket: {
      data(
        s: { send(d: Uint8Array, port: number, host: string): boolean },
        d: Uint8Array,
        port: number,
        host: string,
      ): void;
    };
  }): Promise<{ port: number }>;
};

const g = globalThis as Record<string, unknown>;
if (process.argv.includes("tw")) {
  const { reactor } = await import("../runtimes/select.ts");
  const { DatagramProtocol } = await import("../src/internet/protocol.ts");
  class Echo extends DatagramProtocol {
    override datagramReceived(data: Uint8Array, addr: [string, number]): void {
      this.transport!.write(data, addr);
    }
  }
  const port = reactor.listenUDP(0, new Echo(), { interface: "127.0.0.1" });
  await port.whenListening();
  console.log(`READY ${(port.getHost() as { port: number }).port}`);
} else if (g.Deno) {
  const conn = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  console.log(`READY ${conn.addr.port}`);
  for (;;) {
    const [data, from] = await conn.receive();
    await conn.send(data, from);
  }
} else if (g.Bun) {
  const socket = await Bun.udpSocket({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(s, data, port, host) {
        s.send(data, port, host);
      },
    },
  });
  console.log(`READY ${socket.port}`);
} else {
  const dgram = await import("node:dgram");
  const socket = dgram.createSocket("udp4");
  socket.on("message", (msg, rinfo) => socket.send(msg, rinfo.port, rinfo.address));
  socket.bind(0, "127.0.0.1", () => console.log(`READY ${socket.address().port}`));
}
process.on("SIGTERM", () => process.exit(0));
