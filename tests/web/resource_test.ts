import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Clock } from "../../src/internet/task.ts";
import { trackLeaks } from "../../src/testing/mod.ts";
import {
  computeAllowedMethods,
  ErrorPage,
  ForbiddenResource,
  type IResource,
  NameVirtualHost,
  NoResource,
  Redirect,
  redirectTo,
  type Request,
  Resource,
  Site,
} from "../../src/web/mod.ts";
import { serve } from "./_helpers.ts";

trackLeaks({ beforeEach, afterEach });

class Text extends Resource {
  text: string;
  constructor(text: string, leaf = false) {
    super();
    this.text = text;
    this.isLeaf = leaf;
  }
  render_GET(request: Request): string {
    return `${this.text} pre=${request.prepath.join("/")} post=${request.postpath.join("/")}`;
  }
}

function fetchText(root: Resource, path: string, host = "x"): { code: number; text: string } {
  const s = serve(new Site(root, { clock: new Clock() }));
  s.send(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
  const [r] = s.responses();
  s.transport.loseConnection();
  return { code: r.code, text: r.text };
}

describe("Resource", () => {
  it("walks static children, moving segments from postpath to prepath", () => {
    const root = new Resource();
    const a = new Resource();
    root.putChild("a", a);
    a.putChild("b c", new Text("leaf", true));
    assert.deepEqual(fetchText(root, "/a/b%20c/d/e"), {
      code: 200,
      text: "leaf pre=a/b c post=d/e",
    });
  });

  it("answers 404 for a missing child and uses getChild for dynamic ones", () => {
    class Dynamic extends Resource {
      override getChild(path: string, request: Request): IResource {
        return path === "dyn" ? new Text("dynamic", true) : super.getChild(path, request);
      }
    }
    const root = new Dynamic();
    assert.equal(fetchText(root, "/dyn").text, "dynamic pre=dyn post=");
    const missing = fetchText(root, "/nope");
    assert.equal(missing.code, 404);
    assert.match(missing.text, /No Such Resource/);
  });

  it("serves the empty-segment child for a trailing slash, as Twisted", () => {
    const root = new Resource();
    root.putChild("", new Text("index"));
    assert.equal(fetchText(root, "/").text, "index pre= post=");
  });

  it("renders ErrorPage and ForbiddenResource with escaped text", () => {
    const root = new Resource();
    root.putChild("e", new ErrorPage(418, "Tea <pot>", "short & stout"));
    root.putChild("f", new ForbiddenResource());
    const e = fetchText(root, "/e/any/depth");
    assert.equal(e.code, 418);
    assert.match(e.text, /Tea &#60;pot&#62;/);
    assert.match(e.text, /short &#38; stout/);
    assert.equal(fetchText(root, "/f").code, 403);
    assert.equal(fetchText(new NoResource(), "/").code, 404);
  });

  it("computes the allowed methods from render_* methods, own and inherited", () => {
    class A extends Resource {
      render_GET(): string {
        return "";
      }
    }
    class B extends A {
      render_PUT(): string {
        return "";
      }
    }
    assert.deepEqual(computeAllowedMethods(new B()), ["GET", "HEAD", "OPTIONS", "PUT"]);
    assert.deepEqual(computeAllowedMethods(new Resource()), ["OPTIONS"]);
  });
});

describe("Redirect and redirectTo", () => {
  it("redirects every request with a 302 and a link page", () => {
    const r = fetchText(new Redirect("/new?a=<b>"), "/old");
    assert.equal(r.code, 302);
    assert.match(r.text, /href="\/new\?a=&#60;b&#62;"/);
  });

  it("redirectTo sets Location and returns the page", () => {
    const root = new Resource();
    root.isLeaf = true;
    (root as unknown as { render_GET: (r: Request) => Uint8Array }).render_GET = (r) =>
      redirectTo("https://example.com/", r);
    const s = serve(new Site(root, { clock: new Clock() }));
    s.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.equal(s.responses()[0].headers.get("location")?.[0], "https://example.com/");
    s.transport.loseConnection();
  });
});

describe("NameVirtualHost", () => {
  it("dispatches on the Host header, ignoring the port and case", () => {
    const vhost = new NameVirtualHost();
    const a = new Resource();
    a.putChild("p", new Text("a-site", true));
    vhost.addHost("a.example", a);
    vhost.addHost("leaf.example", new Text("leaf-site", true));
    assert.equal(fetchText(vhost, "/p", "A.Example:8080").text, "a-site pre=p post=");
    assert.equal(fetchText(vhost, "/x/y", "leaf.example").text, "leaf-site pre= post=x/y");
    assert.equal(fetchText(vhost, "/p", "other.example").code, 404);
    vhost.default = new Text("default", true);
    assert.equal(fetchText(vhost, "/q", "other.example").text, "default pre= post=q");
  });

  it("lets a subclass choose the host's resource by overriding getResourceForRequest", () => {
    class Wildcard extends NameVirtualHost {
      override getResourceForRequest(request: Request): IResource {
        const host = request.getRequestHostname().toLowerCase();
        const parent = host.slice(host.indexOf(".") + 1);
        return this.hosts.get(host) ?? this.hosts.get(`*.${parent}`) ??
          super.getResourceForRequest(request);
      }
    }
    const vhost = new Wildcard();
    vhost.addHost("*.example", new Text("any", true));
    vhost.addHost("www.example", new Text("www", true));
    assert.equal(fetchText(vhost, "/a", "shop.example").text, "any pre= post=a");
    assert.equal(fetchText(vhost, "/a", "www.example").text, "www pre= post=a");
    assert.equal(fetchText(vhost, "/a", "other.test").code, 404);
  });
});
