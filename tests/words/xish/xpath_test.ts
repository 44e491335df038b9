// xpath: Twisted's query subset (test_xpath.py's cases) and EventDispatcher / XmlPipe.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { domish, utility, xpath } from "../../../src/words/xish/mod.ts";

function sample(): { e: domish.Element; bar1: domish.Element; bar4: domish.Element } {
  // <foo xmlns='testns' attrib1='value1' attrib3="user@host/resource">somecontent
  //   <bar>somecontent</bar><bar attrib2='value2'><foo>…<gar>DEF</gar></foo></bar>
  //   somemorecontent<bar attrib4='value4' attrib5='value5'><foo/><gar>ABC</gar></bar><bar/>
  const e = new domish.Element(["testns", "foo"]);
  e.setAttribute("attrib1", "value1");
  e.setAttribute("attrib3", "user@host/resource");
  e.addContent("somecontent");
  const bar1 = e.addElement("bar");
  bar1.addContent("somecontent");
  const bar2 = e.addElement("bar");
  bar2.setAttribute("attrib2", "value2");
  const subfoo = bar2.addElement("foo");
  subfoo.addElement("gar", null, "DEF");
  e.addContent("somemorecontent");
  const bar4 = e.addElement("bar");
  bar4.setAttribute("attrib4", "value4");
  bar4.setAttribute("attrib5", "value5");
  bar4.addElement("foo");
  bar4.addElement("gar", null, "ABC");
  e.addElement("bar");
  return { e, bar1, bar4 };
}

describe("xpath", () => {
  it("matches paths, wildcards, attributes, namespaces, text, booleans", () => {
    const { e } = sample();
    const yes = [
      "/foo",
      "/foo/bar",
      "/*",
      "/foo/*",
      "/foo[@attrib1]",
      "/foo[@attrib1='value1']",
      "/foo[@attrib1!='x']",
      "/foo[@xmlns='testns']",
      "/foo/bar[@attrib2='value2']",
      "/foo/bar/foo/gar",
      "/foo[text()='somecontent']",
      "/foo/bar[2]",
      "//gar",
      "//bar[@attrib4='value4' and @attrib5='value5']",
      "//bar[@attrib4='x' or @attrib5='value5']",
      "/foo[not(@nope)]",
      "/foo/bar[(@attrib2 = 'value2') and not(@x)]",
      '/foo[@attrib3="user@host/resource"]',
    ];
    for (const q of yes) assert.ok(xpath.matches(q, e), q);
    const no = [
      "/bar",
      "/foo[@attrib1='x']",
      "/foo[@xmlns='other']",
      "/foo/bar[@attrib6]",
      "//nothing",
      "/foo[text()='x']",
      "/foo[not(@attrib1)]",
    ];
    for (const q of no) assert.ok(!xpath.matches(q, e), q);
  });

  it("queries strings and nodes", () => {
    const { e, bar1, bar4 } = sample();
    assert.equal(xpath.queryForString("/foo", e), "somecontent");
    assert.deepEqual(xpath.queryForStringList("/foo", e), ["somecontent", "somemorecontent"]);
    assert.deepEqual(xpath.queryForStringList("//gar", e), ["DEF", "ABC"]);
    assert.deepEqual(xpath.queryForNodes("/foo/bar", e)?.[0], bar1);
    assert.equal(xpath.queryForNodes("/foo/bar", e)?.length, 4);
    assert.deepEqual(xpath.queryForNodes("/foo/bar[@attrib4]", e), [bar4]);
    assert.equal(xpath.queryForNodes("/foo/none", e), null);
    assert.equal(xpath.queryForNodes("//gar", e)?.length, 2);
  });

  it("refuses queries outside the grammar", () => {
    for (const q of ["foo", "/", "/foo[", "/foo[@]", "/foo[bad()]", "/foo]"]) {
      assert.throws(() => new xpath.XPathQuery(q), SyntaxError, q);
    }
  });
});

describe("utility.EventDispatcher", () => {
  it("dispatches XPath events by priority, one-time observers once", () => {
    const d = new utility.EventDispatcher();
    const got: string[] = [];
    const low = () => got.push("low");
    d.addObserver("/message", low);
    d.addObserver("/message[@type='chat']", () => got.push("high"), 5);
    d.addOnetimeObserver(new xpath.XPathQuery("/message"), () => got.push("once"));
    const m = new domish.Element([null, "message"]);
    m.setAttribute("type", "chat");
    assert.equal(d.dispatch(m), true);
    assert.equal(d.dispatch(m), true);
    d.removeObserver("/message", low);
    d.dispatch(m);
    assert.deepEqual(got, ["high", "low", "once", "high", "low", "high"]);
    assert.equal(d.dispatch(new domish.Element([null, "iq"])), false);
  });

  it("queues changes made during a dispatch, and keeps going when an observer throws", () => {
    const d = new utility.EventDispatcher();
    const got: number[] = [];
    d.addObserver("//event/x", () => {
      got.push(1);
      d.addObserver("//event/x", () => got.push(2));
      throw new Error("observer bug");
    });
    d.addObserver("//event/x", () => got.push(3), -1);
    d.dispatch(null, "//event/x");
    assert.deepEqual(got, [1, 3]);
    got.length = 0;
    d.dispatch(null, "//event/x");
    assert.deepEqual(got.sort(), [1, 2, 3]);
  });

  it("connects two ends with XmlPipe", () => {
    const pipe = new utility.XmlPipe();
    const got: string[] = [];
    pipe.sink.addObserver("/presence", (p: domish.Element) => got.push(`sink ${p.name}`));
    pipe.source.addObserver("/iq", (p: domish.Element) => got.push(`source ${p.name}`));
    pipe.source.send(new domish.Element([null, "presence"]));
    pipe.sink.send(new domish.Element([null, "iq"]));
    assert.deepEqual(got, ["sink presence", "source iq"]);
  });
});
