// The bounded streaming XML parser behind domish.elementStream(): restricted XML
// (RFC 6120 §11), limits enforced as bytes arrive, any split of the bytes (fast-check),
// and bad input giving a ParserError with the stream error condition, never a crash.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { domish } from "../../../src/words/xish/mod.ts";

const enc = new TextEncoder();

interface Run {
  events: string[];
  error: domish.ParserError | null;
}

function run(chunks: Uint8Array[], limits: domish.ParserLimits = {}): Run {
  const events: string[] = [];
  const s = domish.elementStream(limits);
  s.DocumentStartEvent = (root) => events.push(`start ${root.uri} ${root.name}`);
  s.ElementEvent = (el) => events.push(el.toXml());
  s.DocumentEndEvent = () => events.push("end");
  try {
    for (const c of chunks) s.parse(c);
    return { events, error: null };
  } catch (e) {
    assert.ok(e instanceof domish.ParserError, `not a ParserError: ${e}`);
    return { events, error: e };
  }
}

const conditionOf = (text: string | Uint8Array, limits: domish.ParserLimits = {}) =>
  run([typeof text === "string" ? enc.encode(text) : text], limits).error?.condition ?? "ok";

function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let last = 0;
  for (const p of points) {
    out.push(bytes.subarray(last, p));
    last = p;
  }
  out.push(bytes.subarray(last));
  return out;
}

const STREAM = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' " +
  "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>" +
  "<message to='romeo@example.net' type=\"chat\" xml:lang='en'><body>Wherefore &amp; " +
  "h\u00e9las \u{1F600} &#x263A;&#65;<![CDATA[<raw> & ]]]]></body><x xmlns='urn:x' a='1&lt;2'/>" +
  "</message>\n  <presence/>\r\n<iq type='get' id='1'><query xmlns='jabber:iq:roster'/></iq>" +
  "</stream:stream>";

describe("domish.elementStream()", () => {
  it("parses a stream: root, stanzas with namespaces, entities, CDATA, UTF-8", () => {
    const { events, error } = run([enc.encode(STREAM)]);
    assert.equal(error, null);
    assert.deepEqual(events, [
      "start http://etherx.jabber.org/streams stream",
      "<message xmlns='jabber:client' to='romeo@example.net' type='chat' xml:lang='en'>" +
      "<body>Wherefore &amp; h\u00e9las \u{1F600} \u263aA&lt;raw&gt; &amp; ]]</body>" +
      "<x xmlns='urn:x' a='1&lt;2'/></message>",
      "<presence xmlns='jabber:client'/>",
      "<iq xmlns='jabber:client' type='get' id='1'><query xmlns='jabber:iq:roster'/></iq>",
      "end",
    ]);
  });

  it("gives the same events for any split of the bytes, even inside UTF-8 sequences", () => {
    const bytes = enc.encode(STREAM);
    const whole = run([bytes]).events;
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }), (cuts) => {
        assert.deepEqual(run(splitAt(bytes, cuts)).events, whole);
      }),
      { numRuns: 300 },
    );
    // one byte at a time
    assert.deepEqual(run([...bytes].map((b) => Uint8Array.of(b))).events, whole);
  });

  it("round-trips generated elements through toXml() and the parser", () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/);
    const text = fc.string({ unit: "grapheme", maxLength: 20 }).map((s) =>
      [...s].filter((c) => {
        const code = c.codePointAt(0)!;
        return (code >= 0x20 || code === 0x09 || code === 0x0a || code === 0x0d) &&
          code !== 0xfffe &&
          code !== 0xffff;
      }).join("")
    );
    const tree: fc.Arbitrary<domish.Element> = fc.letrec<{ el: domish.Element }>((tie) => ({
      el: fc.record({
        name,
        ns: fc.constantFrom(null, "urn:a", "urn:b"),
        // attribute values lose tabs and line ends to white space normalization: none here
        attrs: fc.dictionary(name, text.map((t) => t.replace(/[\t\n\r]/g, "")), { maxKeys: 3 }),
        kids: fc.array(fc.oneof({ maxDepth: 3 }, text, tie("el")), { maxLength: 4 }),
      }).map(({ name, ns, attrs, kids }) => {
        const e = new domish.Element([ns, name]);
        for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
        for (const k of kids) {
          if (typeof k === "string") {
            if (k) e.addContent(k);
          } else e.addChild(k);
        }
        return e;
      }),
    })).el;
    fc.assert(
      fc.property(tree, fc.array(fc.nat(), { maxLength: 10 }), (el, cuts) => {
        const xml = el.toXml({ defaultUri: "jabber:client" });
        const bytes = enc.encode(`<s xmlns='jabber:client'>${xml}</s>`);
        const s = domish.elementStream();
        let parsed: domish.Element | null = null;
        s.DocumentStartEvent = () => {};
        s.ElementEvent = (e) => (parsed = e);
        for (const c of splitAt(bytes, cuts)) s.parse(c);
        // XML reads CR LF and a lone CR as LF (§2.11)
        assert.equal(
          parsed!.toXml({ defaultUri: "jabber:client" }),
          xml.replace(/\r\n?/g, "\n"),
        );
      }),
      { numRuns: 300 },
    );
  });

  it("never throws anything but ParserError on random bytes or mutated streams", () => {
    const base = enc.encode(STREAM);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        (edits, cuts) => {
          const bytes = base.slice();
          for (const [at, b] of edits) bytes[at % bytes.length] = b;
          run(splitAt(bytes, cuts), { maxDepth: 5, maxStanzaSize: 300 });
        },
      ),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => void run([bytes])),
      { numRuns: 500 },
    );
  });

  it("refuses DTDs, billion laughs, comments, PIs and undeclared entities (restricted-xml)", () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">` +
      `<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>`;
    assert.equal(conditionOf(laughs), "restricted-xml");
    assert.equal(conditionOf("<s><!DOCTYPE x></s>"), "restricted-xml");
    assert.equal(conditionOf("<s><m><!-- hi --></m></s>"), "restricted-xml");
    assert.equal(conditionOf("<!-- hi --><s/>"), "restricted-xml");
    assert.equal(conditionOf("<s><m><?php echo ?></m></s>"), "restricted-xml");
    assert.equal(conditionOf("<?xml-stylesheet href='x'?><s/>"), "restricted-xml");
    assert.equal(conditionOf("<s><m>&lol;</m></s>"), "restricted-xml");
    assert.equal(conditionOf("<s><m a='&lol;'/></s>"), "restricted-xml");
    assert.equal(conditionOf("<?xml version='1.0'?><?xml version='1.0'?><s/>"), "restricted-xml");
  });

  it("refuses XML that is not well-formed", () => {
    for (
      const bad of [
        "<s><m></n></s>",
        "<s><m a='1' a='2'/></s>",
        "<s><m a=1/></s>",
        "<s><m a/></s>",
        "<s><m a='<'/></s>",
        "<s><m>\u0001</m></s>",
        "<s><m>&#0;</m></s>",
        "<s><m>&#xD800;</m></s>",
        "<s><m>&#x110000;</m></s>",
        "<s><m>&#12a;</m></s>",
        "<s><m>& x</m></s>",
        "<s><p:m/></s>",
        "<s><m p:a='1'/></s>",
        "<s><m xmlns:p=''/></s>",
        "hello",
        "<s></s><t/>",
        "</s>",
        "<s><1m/></s>",
        "<s a='1'b='2'/>",
        "<s><m/ ></s>",
        "GET / HTTP/1.1\r\n\r\n",
      ]
    ) {
      assert.equal(conditionOf(bad), "not-well-formed", bad);
    }
    assert.equal(
      conditionOf(Uint8Array.of(0x3c, 0x73, 0x3e, 0x3c, 0x6d, 0x3e, 0xff, 0x3c)),
      "not-well-formed",
    );
    // an incomplete UTF-8 sequence before a tag
    assert.equal(
      conditionOf(Uint8Array.of(0x3c, 0x73, 0x3e, 0x3c, 0x6d, 0x3e, 0xe2, 0x82, 0x3c)),
      "not-well-formed",
    );
    // in a name
    assert.equal(conditionOf(Uint8Array.of(0x3c, 0x73, 0xc3, 0x3e)), "not-well-formed");
    // between stanzas, where text is dropped but still checked
    assert.equal(conditionOf(Uint8Array.of(0x3c, 0x73, 0x3e, 0xc3, 0x28)), "not-well-formed");
  });

  it("reads CR LF and a lone CR in text as LF, even split between chunks", () => {
    const bytes = enc.encode("<s><m>a\r\nb\rc\r</m><m>\r</m><m>\n</m></s>");
    const whole = run([bytes]).events;
    assert.deepEqual(whole.slice(1, 4), ["<m>a\nb\nc\n</m>", "<m>\n</m>", "<m>\n</m>"]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      assert.deepEqual(run([bytes.subarray(0, cut), bytes.subarray(cut)]).events, whole);
    }
  });

  it("keeps failing after an error", () => {
    const s = domish.elementStream();
    s.DocumentStartEvent = () => {};
    assert.throws(() => s.parse(enc.encode("<s><!--")), domish.ParserError);
    assert.throws(() => s.parse(enc.encode("<m/>")), { condition: "restricted-xml" });
  });

  it("limits depth, attributes, names and stanza size (policy-violation), split or not", () => {
    const deep = "<s>" + "<a>".repeat(200_000);
    assert.equal(conditionOf(deep), "policy-violation");
    assert.equal(conditionOf("<s>" + "<a>".repeat(99)), "ok");
    assert.equal(conditionOf("<s>" + "<a>".repeat(100)), "policy-violation");
    const attrs = Array.from({ length: 100_000 }, (_, i) => ` a${i}='1'`).join("");
    assert.equal(conditionOf(`<s><m${attrs}/></s>`), "policy-violation");
    assert.equal(conditionOf(`<s${attrs}>`), "policy-violation");
    assert.equal(conditionOf(`<s><${"n".repeat(2000)}/></s>`), "policy-violation");
    const big = "x".repeat(20 << 20);
    assert.equal(conditionOf(`<s><m>${big}</m></s>`), "policy-violation");
    assert.equal(conditionOf(`<s><m a='${big}'/></s>`), "policy-violation");
    assert.equal(conditionOf(`<s a='${big}'>`), "policy-violation");
    assert.equal(conditionOf(`<s><m><![CDATA[${big}]]></m></s>`), "policy-violation");
    // fed in small chunks, the parser stops within the limit
    const s = domish.elementStream({ maxStanzaSize: 1000 });
    s.DocumentStartEvent = () => {};
    s.parse(enc.encode("<s><m>"));
    const chunk = enc.encode("y".repeat(100));
    let fed = 0;
    assert.throws(() => {
      for (;;) {
        s.parse(chunk);
        fed += 100;
      }
    }, { condition: "policy-violation" });
    assert.ok(fed <= 1000, `fed ${fed}`);
    // a stanza just under the limit passes; the limit is per stanza, not per stream
    const ok = run([enc.encode(`<s>${`<m>${"z".repeat(980)}</m>`.repeat(50)}`)], {
      maxStanzaSize: 1000,
    });
    assert.equal(ok.error, null);
    assert.equal(ok.events.length, 51);
    // white space between stanzas does not count
    const ws = run([enc.encode(`<s>${" ".repeat(5000)}<m/>`)], { maxStanzaSize: 1000 });
    assert.equal(ws.error, null);
  });

  it("accepts a BOM, the XML declaration and white space around the root", () => {
    const r = run([Uint8Array.of(0xef, 0xbb, 0xbf), enc.encode(" <?xml version='1.0'?>\n<s/>\n")]);
    assert.equal(r.error, null);
    assert.deepEqual(r.events, [`start  s`, "end"]);
  });

  it("stop() leaves the rest of a chunk unread and parse() reports how much it read", () => {
    const s = domish.elementStream();
    s.DocumentStartEvent = () => {};
    s.ElementEvent = () => s.stop();
    const bytes = enc.encode("<s><a/><b/>");
    assert.equal(s.parse(bytes), "<s><a/>".length);
    assert.equal(s.parse(bytes), 0);
  });
});
