// The example web site: static files, a dynamic page with a session, a form,
// a JSON API through the fetch bridge and a WebSocket echo, on one port.
// Run: deno run -A examples/site/main.ts [port] | bun examples/site/main.ts | node examples/site/main.ts
// Then open http://127.0.0.1:8080/ (port 0 picks a free port). Ctrl-C stops it.
import { reactor } from "../../mod.ts";
import {
  EncodingResourceWrapper,
  FetchResource,
  File,
  GzipEncoderFactory,
  type IResource,
  type Request,
  Site,
  WebSocketResource,
  WebSocketServerFactory,
} from "../../src/web/mod.ts";
import { api, Echo } from "./api.ts";
import { GuestBook, Hello } from "./pages.ts";

const gzip = [new GzipEncoderFactory()];
// Text compresses well; images and archives are compressed already.
const TEXT = /\.(html?|css|js|mjs|json|svg|txt|xml)$/i;

/**
 * The public/ directory as the root: its files are served as they are,
 * text ones gzip-encoded for clients that accept it. A Range request gets
 * the bytes of the file itself (not of a gzip stream), so it is not encoded.
 */
class PublicFiles extends File {
  override getChild(path: string, request: Request): IResource {
    const child = super.getChild(path, request);
    const text = path === "" || TEXT.test(path);
    if (!(child instanceof File) || !text || request.getHeader("range") !== null) return child;
    return new EncodingResourceWrapper(child, gzip);
  }
}

const root = new PublicFiles(decodeURIComponent(new URL("public", import.meta.url).pathname), {
  allowListing: false,
});
root.putChild("hello", new EncodingResourceWrapper(new Hello(), gzip));
root.putChild("form", new EncodingResourceWrapper(new GuestBook(), gzip));
root.putChild("api", new EncodingResourceWrapper(new FetchResource(api), gzip));
root.putChild(
  "ws",
  new WebSocketResource(new WebSocketServerFactory(Echo, { maxMessageSize: 64 * 1024 })),
);

const site = new Site(root);
// Sessions hold timers: end them with the reactor.
reactor.addSystemEventTrigger("before", "shutdown", () => site.expireSessions());

const port = Number(reactor.runtime.args()[0] ?? 8080);
const listening = reactor.listenTCP(port, site, { interface: "127.0.0.1" });
listening.whenListening().addCallbacks(
  () => {
    const address = listening.getHost() as { port: number };
    console.log(`Site listening on http://127.0.0.1:${address.port}/`);
  },
  (failure) => {
    console.error(`Cannot start the site: ${failure.getErrorMessage()}`);
    reactor.runtime.exit(1);
  },
);
await reactor.run();
