// The server `tw dns --bindzone ZONE` runs (BindAuthority + DNSServerFactory over a
// DNSDatagramProtocol), on UDP only, for bench/dns_bench.ts.
// Usage: deno run -A bench/_dns_server.ts ZONE | bun bench/_dns_server.ts ZONE | node ...
// Prints "READY <port>" once listening on 127.0.0.1.
import process from "node:process";
import { reactor } from "../runtimes/select.ts";
import { BindAuthority, DNSDatagramProtocol, DNSServerFactory } from "../src/names/mod.ts";
import type { IPv4Address } from "../src/internet/address.ts";

const zone = await BindAuthority.load(process.argv[process.argv.length - 1], { reactor });
const factory = new DNSServerFactory({ authorities: [zone], reactor });
const port = reactor.listenUDP(0, new DNSDatagramProtocol(factory, { reactor }), {
  interface: "127.0.0.1",
});
await port.whenListening();
console.log(`READY ${(port.getHost() as IPv4Address).port}`);
process.on("SIGTERM", () => process.exit(0));
