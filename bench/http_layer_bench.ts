// The HTTP layer's own cost per request, without sockets: a `Site` channel on the
// test kit's StringTransport, fed the same keep-alive GET as wrk sends, answered by
// the hello-world resource of web_bench.ts. Reports nanoseconds per request.
// Run with any runtime: deno run -A bench/http_layer_bench.ts | bun ... | node ...
// The runtime's settings (small-buffer pooling), as a server would have them.
import "../runtimes/select.ts";
import { IPv4Address } from "../src/internet/address.ts";
import { Clock } from "../src/internet/task.ts";
import { StringTransport } from "../src/testing/mod.ts";
import { Resource, Site } from "../src/web/mod.ts";
import type { Request } from "../src/web/mod.ts";

class Hello extends Resource {
  override isLeaf = true;
  render_GET(request: Request): string {
    request.setHeader("content-type", "text/plain; charset=utf-8");
    return "Hello, world!";
  }
}

const REQUEST = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n");
// Each request in its own buffer, as each arrives in its own read (made
// beforehand: allocating them is the runtime's cost, not the HTTP layer's).
const READS = Array.from({ length: 1024 }, () => REQUEST.slice());
const site = new Site(new Hello(), { clock: new Clock() });
const channel = site.buildProtocol(new IPv4Address("TCP", "127.0.0.1", 40000))!;
// Keeps nothing: the cost measured is the HTTP layer's, not the test kit's buffer.
class NullTransport extends StringTransport {
  bytesWritten = 0;
  override write(data: Uint8Array): void {
    this.bytesWritten += data.length;
  }
}
const transport = new NullTransport();
channel.makeConnection(transport);

function round(n: number): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    channel.dataReceived(READS[i & 1023]);
  }
  return (performance.now() - t0) * 1e6 / n;
}

round(200_000); // warm-up
const perRequest = transport.bytesWritten / 200_000;
if (perRequest < 100) throw new Error(`the responses are missing (${perRequest} bytes each)`);
const runs = [round(500_000), round(500_000), round(500_000)].sort((a, b) => a - b);
console.log(
  `HTTP layer: ${runs[1].toFixed(0)} ns per request (median of 3; runs ${
    runs.map((r) => r.toFixed(0)).join(", ")
  })`,
);
transport.loseConnection();
