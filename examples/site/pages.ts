// The example site's dynamic pages: a greeting with a visit counter kept in
// the session, and a guest book whose form posts url-encoded or multipart
// bodies and redirects after the post.
import { redirectTo, type Request, Resource } from "../../src/web/mod.ts";

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A whole HTML page around `body` (already escaped where needed). */
export function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>${escapeHtml(title)}</title>
    <link rel="stylesheet" href="/style.css">
  </head>
  <body>
    <p><a href="/">Home</a></p>
${body}
  </body>
</html>
`;
}

function html(request: Request, text: string): string {
  request.setHeader("content-type", "text/html; charset=utf-8");
  // Pages built per visitor: never from a shared cache.
  request.setHeader("cache-control", "no-store");
  return text;
}

/** `/hello?name=...`: greets by name (escaped) and counts this visitor's visits. */
export class Hello extends Resource {
  override isLeaf = true;

  render_GET(request: Request): string {
    const name = request.args.name?.[0] || "world";
    const session = request.getSession();
    const visits = ((session.data.get("visits") as number | undefined) ?? 0) + 1;
    session.data.set("visits", visits);
    return html(
      request,
      page(
        `Hello, ${name}!`,
        `    <h1>Hello, ${escapeHtml(name)}!</h1>
    <p id="visits">You have seen this page ${visits} time${
          visits === 1 ? "" : "s"
        } in this session.</p>
    <form method="get" action="/hello">
      <label>Your name <input name="name" value="${escapeHtml(name)}"></label>
      <button>Greet me</button>
    </form>`,
      ),
    );
  }
}

/** One guest book entry. */
interface Entry {
  name: string;
  message: string;
  /** How the form was sent: "url-encoded" or "multipart". */
  encoding: string;
  /** An attached file, for multipart posts that carried one. */
  attachment: { filename: string; size: number } | null;
}

/**
 * `/form`: GET shows the guest book and two forms (url-encoded and
 * multipart); POST adds an entry from `request.args` and redirects back
 * with 303, so reloading the page does not post again.
 */
export class GuestBook extends Resource {
  override isLeaf = true;
  /** The newest entries first, at most `limit` of them. */
  readonly entries: Entry[] = [];
  /** How many entries are kept. */
  limit = 20;

  render_GET(request: Request): string {
    const entries = this.entries.map((e) =>
      `    <div class="entry"><strong>${escapeHtml(e.name)}</strong> (${e.encoding}): ` +
      `${escapeHtml(e.message)}` +
      (e.attachment === null
        ? ""
        : ` [attached ${escapeHtml(e.attachment.filename)}, ${e.attachment.size} bytes]`) +
      `</div>`
    ).join("\n");
    const fields = `<label>Name <input name="name" required maxlength="60"></label>
        <label>Message <input name="message" required maxlength="500"></label>`;
    return html(
      request,
      page(
        "Guest book",
        `    <h1>Guest book</h1>
    <form method="post" action="/form">
        ${fields}
        <button>Sign (url-encoded)</button>
    </form>
    <form method="post" action="/form" enctype="multipart/form-data">
        ${fields}
        <label>Attachment <input type="file" name="attachment"></label>
        <button>Sign (multipart)</button>
    </form>
    <h2>Entries</h2>
${entries || "    <p>No entries yet.</p>"}`,
      ),
    );
  }

  render_POST(request: Request): string | Uint8Array {
    const name = (request.args.name?.[0] ?? "").trim().slice(0, 60);
    const message = (request.args.message?.[0] ?? "").trim().slice(0, 500);
    if (name === "" || message === "") {
      request.setResponseCode(400);
      return html(request, page("Guest book", "    <p>Both a name and a message are needed.</p>"));
    }
    const multipart = (request.getHeader("content-type") ?? "").toLowerCase()
      .startsWith("multipart/form-data");
    const file = request.files.find((part) => part.name === "attachment" && part.filename);
    this.entries.unshift({
      name,
      message,
      encoding: multipart ? "multipart" : "url-encoded",
      attachment: file ? { filename: file.filename!, size: file.data.length } : null,
    });
    this.entries.length = Math.min(this.entries.length, this.limit);
    // Redirect after post: 303 makes the browser GET the page.
    const body = redirectTo("/form", request);
    request.setResponseCode(303);
    return body;
  }
}
