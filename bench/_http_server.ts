// An HTTP server for web_bench.ts answering every GET with "Hello, world!" (text/plain).
// Usage: <runtime> bench/_http_server.ts <tw|native|fetch>
//   tw:     our `Site` over `reactor.listenTCP` (TW_RUNTIME=node picks the node adapter)
//   native: the runtime's own server (Deno.serve, Bun.serve, node:http)
//   fetch:  our `Site` through the fetch bridge (`siteAsFetchHandler`) under Deno.serve / Bun.serve
// Prints `READY <port>` on stdout once listening on 127.0.0.1; runs until killed.
import { reactor } from "../mod.ts";
import { Resource, Site, siteAsFetchHandler } from "../src/web/mod.ts";
import type { Request } from "../src/web/mod.ts";

const [impl = "tw"] = reactor.runtime.args();
const BODY = "Hello, world!";

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

type FetchHandler = (request: globalThis.Request) => Response | Promise<Response>;
interface DenoNs {
  serve(
    o: { hostname: string; port: number; onListen(a: { port: number }): void },
    h: FetchHandler,
  ): unknown;
}
interface BunNs {
  serve(o: { hostname: string; port: number; fetch: FetchHandler }): { port: number };
}
const g = globalThis as unknown as { Deno?: DenoNs; Bun?: BunNs };

function serveFetch(handler: FetchHandler): void {
  if (g.Deno) {
    g.Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: (a) => ready(a.port) }, handler);
  } else if (g.Bun) {
    ready(g.Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: handler }).port);
  } else {
    throw new Error("fetch serving needs Deno or Bun");
  }
}

if (impl === "tw") {
  const site = new Site(new Hello());
  const port = reactor.listenTCP(0, site, { interface: "127.0.0.1", backlog: 2048 });
  port.whenListening().addCallback(() => ready((port.getHost() as { port: number }).port));
  void reactor.run();
} else if (impl === "fetch") {
  serveFetch(siteAsFetchHandler(new Site(new Hello())));
} else if (g.Deno || g.Bun) {
  const headers = { "content-type": "text/plain; charset=utf-8" };
  serveFetch(() => new Response(BODY, { headers }));
} else {
  const http = await import("node:http");
  const server = http.createServer((_req, res) => {
    res.writeHead(200, {
      "content-type": "text/plain; charset=utf-8",
      "content-length": String(BODY.length),
    });
    res.end(BODY);
  });
  server.listen({ host: "127.0.0.1", port: 0, backlog: 2048 }, () => {
    ready((server.address() as { port: number }).port);
  });
}
