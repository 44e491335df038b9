// twisted.web.template: tags built in code, XML templates with t:render,
// t:slot, t:attr and t:transparent, escaping by context, Deferreds and
// Promises in the tree, errors, renderElement on a request; the same
// templates rendered byte for byte as Twisted renders them
// (tests/web/template_peer.py under /usr/bin/python3); and properties: any
// text is read or refused with TemplateSyntaxError, any tree of strings and
// tags flattens.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { flushLoggedErrors, trackLeaks } from "../../src/testing/mod.ts";
import { Deferred } from "../../src/internet/defer.ts";
import {
  CDATA,
  CharRef,
  Comment,
  Element,
  type Flattenable,
  FlattenerError,
  flattenString,
  MissingRenderMethod,
  renderElement,
  renderer,
  slot,
  Tag,
  TagLoader,
  tags,
  TemplateSyntaxError,
  UnfilledSlot,
  XMLString,
} from "../../src/web/template/mod.ts";

trackLeaks({ beforeEach, afterEach });

const td = new TextDecoder();
const NS = "http://twistedmatrix.com/ns/twisted.web.template/0.1";
const render = async (root: Flattenable): Promise<string> =>
  td.decode(await flattenString(null, root));

class Page extends Element {
  slots: Record<string, string>;
  constructor(xml: string, slots: Record<string, string>) {
    super(new XMLString(xml));
    this.slots = slots;
  }
  override render(): Flattenable {
    return new Tag("", { children: this.loader!.load() as Flattenable[] }).fillSlots(this.slots);
  }
  items = renderer((_request, tag) =>
    ["one", 't<w>o & "three"'].map((x) => tag.clone().fillSlots({ item: x }))
  );
  mark = renderer((_request, tag) => tag.call({ data_marked: "yes" }));
}

const TEMPLATES: { xml: string; slots: Record<string, string> }[] = [
  {
    xml: `<html xmlns:t="${NS}"><body>
  <ul><li class="x" t:render="items"><t:slot name="item"/></li></ul>
  <a><t:attr name="href">/u?q=<t:slot name="q"/></t:attr>link</a>
  <t:transparent>T<br/><hr></hr><div/></t:transparent>
  <!-- c - d --><![CDATA[ raw <b> & ]]>&amp;&lt;&gt;&quot;&apos;&#233;&#x263a;
  <img src='a.png' alt="it's &quot;x&quot;"/><p t:render="mark">m</p>
  <span><t:slot name="missing" default="dflt"/></span>
</body></html>`,
    slots: { q: 'a&b"<c>' },
  },
  {
    xml: `<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">
<?ignored processing instruction?><use xlink:href="#a" x="1"/><g><title>é ☺</title></g></svg>`,
    slots: {},
  },
  {
    xml: `<div xmlns:t="${NS}" title="multi
line	tab"><t:slot name="a"/><t:slot name="b"/></div>`,
    slots: { a: "A", b: "<script>alert(1)</script>" },
  },
];

describe("templates", () => {
  it("escapes text, attributes, tags in attributes, comments and CDATA as Twisted", async () => {
    const tree = tags.div(
      { title: tags.b('x"y&'), class_: "a<b" },
      "t&u",
      tags.br(),
      tags.div(),
      new Comment("a--b-"),
      new CDATA("x]]>y"),
      new CharRef(9731),
      42,
    );
    assert.equal(
      await render(tree),
      '<div title="&lt;b&gt;x&quot;y&amp;amp;&lt;/b&gt;" class="a&lt;b">t&amp;u<br /><div></div>' +
        "<!--a- - b- --><![CDATA[x]]]]><![CDATA[>y]]>&#9731;42</div>",
    );
  });

  it("waits for Deferreds and Promises anywhere in the tree", async () => {
    const later = new Deferred<Flattenable>();
    const out = flattenString(
      null,
      tags.p(Promise.resolve("a"), later, { id: Promise.resolve("i") }),
    );
    later.callback(tags.em("b"));
    assert.equal(td.decode(await out), '<p id="i">a<em>b</em></p>');
  });

  it("scopes filled slots to the tag that fills them", async () => {
    const tree = [tags.div().fillSlots({ x: "1" }), tags.p(slot("x", { default: "none" }))];
    // Twisted 22.4 leaks a sibling's slots here and renders "1"; ours keeps them in scope.
    assert.equal(await render(tree), "<div></div><p>none</p>");
    const nested = tags.div(tags.span().fillSlots({ x: "inner" }), slot("x")).fillSlots({
      x: "outer",
    });
    assert.equal(await render(nested), "<div><span></span>outer</div>");
  });

  it("fails with FlattenerError naming the cause", async () => {
    const unfilled = await flattenString(null, tags.p(slot("nope"))).then(() => null, (e) => e);
    assert.ok(unfilled instanceof FlattenerError);
    assert.ok(unfilled.cause instanceof UnfilledSlot);
    class NoMethods extends Element {
      override loader = new TagLoader(tags.p({ render: "absent" }));
    }
    const missing = await flattenString(null, new NoMethods()).then(() => null, (e) => e);
    assert.ok(missing?.cause instanceof MissingRenderMethod);
    const thrower = new Element(new TagLoader(tags.p({ render: "boom" })));
    Object.assign(thrower, { boom: renderer(() => Promise.reject(new RangeError("boom"))) });
    const failed = await flattenString(null, thrower).then(() => null, (e) => e);
    assert.ok(failed?.cause instanceof RangeError);
  });

  it("refuses XML that is not well formed", () => {
    for (
      const bad of [
        "<p>",
        "<p></q>",
        "<p a=1/>",
        "<p a='1' a='2'/>",
        "<p>&nbsp;</p>",
        "<x:p/>",
        `<p xmlns:t="${NS}"><t:attr name="x"/></p>x`,
        "<!-- open",
        "<p><!-- a -- b --></p>",
      ]
    ) {
      assert.throws(() => new XMLString(bad).load(), TemplateSyntaxError, bad);
    }
  });

  it("renderElement writes the doctype and the page, and finishes even after an error", async () => {
    const written: string[] = [];
    const headers: Record<string, string> = {};
    const finished = new Deferred<void>();
    const request = {
      setHeader: (k: string, v: string) => (headers[k] = v),
      write: (b: Uint8Array) => written.push(td.decode(b)),
      finish: () => finished.callback(),
    };
    renderElement(request, new Element(new TagLoader(tags.h1("Hi"))));
    await finished;
    assert.equal(written.join(""), "<!DOCTYPE html>\n<h1>Hi</h1>");
    assert.equal(headers["content-type"], "text/html; charset=utf-8");

    written.length = 0;
    const done = new Deferred<void>();
    renderElement({ ...request, finish: () => done.callback() }, tags.p(slot("x")), {
      doctype: null,
    });
    await done;
    assert.match(written.join(""), /^<p>.*An error occurred while rendering the response/s);
    assert.equal(flushLoggedErrors(FlattenerError).length, 1);
  });
});

const PYTHON = "/usr/bin/python3";
const PEER = fileURLToPath(new URL("template_peer.py", import.meta.url));
const HAVE_TWISTED =
  spawnSync(PYTHON, ["-c", "import twisted.web.template"], { stdio: "ignore" }).status === 0;
const SKIP = HAVE_TWISTED || process.env.CI === "true"
  ? false
  : "no Twisted for /usr/bin/python3: install Debian's python3-twisted package";

describe("templates against Twisted's", { skip: SKIP }, () => {
  it("render the same templates to the same bytes", async () => {
    const run = spawnSync(PYTHON, [PEER], { input: JSON.stringify(TEMPLATES), encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    const twisted = run.stdout.trim().split("\n");
    for (let i = 0; i < TEMPLATES.length; i++) {
      const ours = await flattenString(null, new Page(TEMPLATES[i].xml, TEMPLATES[i].slots));
      assert.equal(
        td.decode(ours),
        td.decode(Uint8Array.from(twisted[i].match(/../g)!.map((h) => parseInt(h, 16)))),
        `template ${i}`,
      );
    }
  });
});

describe("template properties", () => {
  it("any text is read or refused with TemplateSyntaxError", () => {
    const pieces = fc.constantFrom(
      "<p>",
      "</p>",
      "<br/>",
      "&amp;",
      "&#1;",
      "&bad;",
      "<!--",
      "-->",
      "<![CDATA[",
      "]]>",
      '<a x="1">',
      "</a>",
      "text",
      `<t:slot xmlns:t="${NS}" name="s"/>`,
      "<?pi?>",
      "'",
      '"',
    );
    fc.assert(
      fc.property(
        fc.array(fc.oneof(pieces, fc.string({ maxLength: 6 })), { maxLength: 12 }),
        (parts) => {
          try {
            new XMLString(parts.join("")).load();
          } catch (e) {
            assert.ok(e instanceof TemplateSyntaxError, String(e));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("any tree of text and tags flattens, with < and & always escaped in text", async () => {
    const tree: fc.Arbitrary<Flattenable> = fc.letrec<{ node: Flattenable }>((tie) => ({
      node: fc.oneof(
        { depthSize: "small" },
        fc.string({ maxLength: 8 }),
        fc.tuple(fc.constantFrom("p", "br", "div", "span"), fc.array(tie("node"), { maxLength: 4 }))
          .map(([name, children]) => new Tag(name, { children: children as Flattenable[] })),
      ),
    })).node;
    await fc.assert(
      fc.asyncProperty(tree, async (root) => {
        const html = await render(root);
        assert.ok(!/<(?!\/?(p|br|div|span)\b)/.test(html), html);
      }),
      { numRuns: 200 },
    );
  });
});
