// An HTTP/2 server for h2_bench.ts answering every GET with "Hello, world!" (text/plain),
// over TLS (h2 by ALPN) with the test certificate of tests/fixtures/tls.
// Usage: <runtime> bench/_h2_server.ts <tw|tw-h2c|native>
//   tw:     our `Site` over `reactor.listenSSL` (h2 chosen by ALPN)
//   tw-h2c: our `Site` over `reactor.listenTCP` (h2c by prior knowledge)
//   native: node:http2's createSecureServer (on any runtime's node:http2)
//   serve:  the runtime's own server with TLS, which speaks h2 by ALPN (Deno.serve,
//           Bun.serve({ http2: true })); Node has none beyond node:http2
// Prints `READY <port>` on stdout once listening on 127.0.0.1; runs until killed.
import { readFileSync } from "node:fs";
import { reactor } from "../mod.ts";
import { Resource, Site } from "../src/web/mod.ts";
import type { Request } from "../src/web/mod.ts";

const [impl = "tw"] = reactor.runtime.args();
const BODY = "Hello, world!";
const TLS = new URL("../tests/fixtures/tls/", import.meta.url).pathname;
const cert = readFileSync(TLS + "server.pem", "utf8");
const key = readFileSync(TLS + "server.key", "utf8");

function ready(port: number): void {
  reactor.runtime.writeStdout(new TextEncoder().encode(`READY ${port}\n`));
}

class Hello extends Resource {
  override isLeaf = true;
  render_GET(request: Request): string {
    request.setHeader("content-type", "text/plain; charset=utf-8");
    return BODY;
  }
}

if (impl === "tw" || impl === "tw-h2c") {
  const site = new Site(new Hello());
  const port = impl === "tw"
    ? reactor.listenSSL(0, site, { cert, key }, { interface: "127.0.0.1", backlog: 2048 })
    : reactor.listenTCP(0, site, { interface: "127.0.0.1", backlog: 2048 });
  await port.whenListening();
  ready((port.getHost() as { port: number }).port);
} else if (impl === "native") {
  const http2 = await import("node:http2");
  const server = http2.createSecureServer({ cert, key }, (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
    res.end(BODY);
  });
  server.listen(0, "127.0.0.1", () => ready((server.address() as { port: number }).port));
} else if (impl === "serve") {
  const g = globalThis as unknown as {
    Deno?: { serve(o: unknown, h: () => Response): { addr: { port: number } } };
    Bun?: { serve(o: unknown): { port: number } };
  };
  const hello = () =>
    new Response(BODY, { headers: { "content-type": "text/plain; charset=utf-8" } });
  if (g.Deno) {
    const server = g.Deno.serve(
      { port: 0, hostname: "127.0.0.1", cert, key, onListen() {} },
      hello,
    );
    ready(server.addr.port);
  } else if (g.Bun) {
    const server = g.Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      http2: true,
      tls: { cert, key },
      fetch: hello,
    });
    ready(server.port);
  } else throw new Error("Node has no server of its own beyond node:http2");
} else {
  throw new Error(`unknown server ${impl}`);
}
