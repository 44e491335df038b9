// domish.Element and its serializer, checked against the outputs Twisted's
// docstrings and test_domish.py give for the same trees.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { domish } from "../../../src/words/xish/mod.ts";

const { Element } = domish;

describe("domish.Element", () => {
  it("serializes a namespaced tree as Twisted does", () => {
    const root = new Element(["myns", "root"]);
    root.addElement("child", null, "test");
    assert.equal(root.toXml(), "<root xmlns='myns'><child>test</child></root>");
  });

  it("inherits the namespace with a null uri and marks an empty one", () => {
    const message = new Element([null, "message"]);
    message.setAttribute("to", "user@example.com");
    message.addElement("body", null, "Hi!");
    assert.equal(message.toXml(), "<message to='user@example.com'><body>Hi!</body></message>");
    const presence = new Element(["", "presence"]);
    assert.equal(presence.toXml(), "<presence/>");
    const envelope = message.addElement(["http://example.com/", "envelope"]);
    envelope.addChild(presence);
    assert.equal(
      message.toXml(),
      "<message to='user@example.com'><body>Hi!</body><envelope xmlns='http://example.com/'>" +
        "<presence xmlns=''/></envelope></message>",
    );
  });

  it("writes prefixes, local prefixes, qualified attributes and partial start tags", () => {
    const e = new Element(["testns", "foo"]);
    e.addElement(["testns2", "bar"]);
    assert.equal(
      e.toXml({ prefixes: { testns2: "q" } }),
      "<foo xmlns='testns'><q:bar xmlns:q='testns2'/></foo>",
    );
    const s = new Element(["http://etherx.jabber.org/streams", "stream"], "jabber:client", null, {
      stream: "http://etherx.jabber.org/streams",
    });
    s.setAttribute("to", "example.com");
    assert.equal(
      s.toXml({ prefixes: { "http://etherx.jabber.org/streams": "stream" }, closeElement: false }),
      "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com'>",
    );
    const a = new Element(["testns", "foo"]);
    a.setAttribute(["http://www.w3.org/XML/1998/namespace", "lang"], "en");
    a.setAttribute(["urn:x", "y"], "1");
    assert.equal(a.toXml(), "<foo xmlns='testns' xml:lang='en' xmlns:xn0='urn:x' xn0:y='1'/>");
    assert.equal(a.getAttribute(["urn:x", "y"]), "1");
    const m = new Element([null, "message"]);
    assert.equal(m.toXml({ defaultUri: "jabber:client" }), "<message/>");
  });

  it("escapes text and attributes, and keeps raw XML as is", () => {
    const e = new Element([null, "x"]);
    e.setAttribute("a", `'"<&>`);
    e.addContent("<&>'\"");
    e.addRawXml("<raw/>");
    assert.equal(e.toXml(), `<x a='&apos;&quot;&lt;&amp;&gt;'>&lt;&amp;&gt;'"<raw/></x>`);
    assert.equal(domish.unescapeFromXml(domish.escapeToXml(`'"<&>`, true)), `'"<&>`);
  });

  it("has Twisted's accessors: child, attributes, content, elements, ids", () => {
    const e = new Element(["ns", "iq"]);
    assert.equal(e.defaultUri, "ns");
    e.addContent("a");
    assert.equal(e.addContent("b"), "ab");
    const q = e.addElement("query");
    assert.equal(q.uri, "ns");
    assert.equal(q.parent, e);
    e.addElement(["other", "query"]);
    assert.equal(e.child("query"), q);
    assert.equal(e.child("query", "other")?.uri, "other");
    assert.equal(e.child("none"), null);
    assert.equal([...e.elements()].length, 2);
    assert.deepEqual([...e.elements("other", "query")].map((x) => x.uri), ["other"]);
    assert.equal(e.firstChildElement(), q);
    assert.equal(String(e), "ab");
    assert.equal(e.getAttribute("type"), null);
    assert.equal(e.getAttribute("type", "get"), "get");
    assert.ok(e.compareAttribute("type", null));
    e.setAttribute("type", "set");
    e.setAttribute("to", "x");
    assert.ok(e.hasAttribute("type") && e.compareAttribute("type", "set"));
    e.swapAttributeValues("type", "to");
    assert.deepEqual(e.attributes, { type: "x", to: "set" });
    e.removeAttribute("to");
    assert.ok(!e.hasAttribute("to"));
    e.addUniqueId();
    const id = e.getAttribute("id")!;
    e.addUniqueId();
    assert.match(id, /^H_\d+$/);
    assert.notEqual(e.getAttribute("id"), id);
    assert.throws(() => e.addContent(1 as unknown as string), TypeError);
  });

  it("keeps a local-prefix uri from becoming the default namespace", () => {
    const e = new Element(["urn:s", "stream"], null, null, { stream: "urn:s" });
    assert.equal(e.defaultUri, null);
  });
});
