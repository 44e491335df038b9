// node:http2's server as the native peer of the Agent's HTTP/2 client.
// Usage: node node_h2_peer.mjs CERT KEY; prints {"port": N} once listening.
// Routes: /hello, /big (4 MiB), POST /upload (answers "got N"), /trailers,
// /slow (never answers; a reset is counted), /stats (JSON counts).
import { constants, createSecureServer } from "node:http2";
import { readFileSync } from "node:fs";

const [cert, key] = process.argv.slice(2);
let sessions = 0;
let cancels = 0;
const server = createSecureServer({
  cert: readFileSync(cert),
  key: readFileSync(key),
  settings: { maxConcurrentStreams: 50 },
});
server.on("session", () => sessions++);
server.on("stream", (stream, headers) => {
  const path = headers[":path"];
  if (path === "/hello") {
    stream.respond({ ":status": 200, "content-type": "text/plain" });
    stream.end(`hello ${headers[":authority"]}`);
  } else if (path === "/big") {
    stream.respond({ ":status": 200, "content-length": String(4 << 20) });
    stream.end(Buffer.alloc(4 << 20, 98));
  } else if (path === "/upload") {
    let n = 0;
    stream.on("data", (d) => (n += d.length));
    stream.on("end", () => {
      stream.respond({ ":status": 200 });
      stream.end(`got ${n}`);
    });
  } else if (path === "/trailers") {
    stream.respond({ ":status": 200 }, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "x-sum": "42" }));
    stream.end("body");
  } else if (path === "/slow") {
    stream.respond({ ":status": 200 });
    stream.write("start");
    stream.on("close", () => {
      if (stream.rstCode === constants.NGHTTP2_CANCEL) cancels++;
    });
  } else if (path === "/stats") {
    stream.respond({ ":status": 200 });
    stream.end(JSON.stringify({ sessions, cancels }));
  } else {
    stream.respond({ ":status": 404 });
    stream.end();
  }
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
