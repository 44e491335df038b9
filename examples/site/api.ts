// The example site's JSON API: a plain fetch-style handler (any framework's
// `(Request) => Response` would do, Hono for instance), mounted in the
// resource tree at /api/ by `FetchResource`; and the WebSocket echo.
import { WebSocketServerProtocol } from "../../src/web/mod.ts";

/** The most the echo accepts, in bytes. */
const MAX_ECHO = 64 * 1024;

function json(value: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return Response.json(value, { status, headers: { "cache-control": "no-store", ...headers } });
}

/** Routes `GET /api/time` and `POST /api/echo`; everything else is 404 or 405. */
export async function api(request: Request): Promise<Response> {
  const { pathname } = new URL(request.url);
  if (pathname === "/api/time") {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return json({ error: "method not allowed" }, 405, { allow: "GET, HEAD" });
    }
    const now = new Date();
    return json({ iso: now.toISOString(), epoch: now.getTime() / 1000 });
  }
  if (pathname === "/api/echo") {
    if (request.method !== "POST") {
      return json({ error: "method not allowed" }, 405, { allow: "POST" });
    }
    const type = request.headers.get("content-type") ?? "";
    if (!/^application\/(.+\+)?json\s*(;|$)/i.test(type)) {
      return json({ error: "send application/json" }, 415);
    }
    const text = await request.text();
    if (text.length > MAX_ECHO) return json({ error: "body too large" }, 413);
    try {
      return json(JSON.parse(text));
    } catch {
      return json({ error: "malformed JSON" }, 400);
    }
  }
  return json({ error: "not found", path: pathname }, 404);
}

/** Sends every WebSocket message back as it came (text as text, binary as binary). */
export class Echo extends WebSocketServerProtocol {
  override onMessage(payload: Uint8Array, isBinary: boolean): void {
    this.sendMessage(payload, isBinary);
  }
}
