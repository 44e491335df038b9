// SEARCH on decoded header text: RFC 2047 encoded-words (B and Q, UTF-8,
// ISO-8859-1 and others the runtime knows) in SUBJECT, FROM, TO, HEADER and
// TEXT, matched case-insensitively (RFC 3501 §6.4.4), on an in-memory mailbox
// (which answers SEARCH itself) and on a maildir (searched by the server).
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { reactor } from "../../../mod.ts";
import { initializeMaildir } from "../../../src/mail/pop3/mod.ts";
import { type IAccount, MaildirAccount, MemoryAccount } from "../../../src/mail/imap4/mod.ts";
import { decodeHeaderText } from "../../../src/mail/imap4/_rfc2047.ts";
import { portalFor, Session } from "./_harness.ts";

const latin1 = new TextDecoder("latin1");
const enc = new TextEncoder();
const octets = (s: string): string => latin1.decode(enc.encode(s));

const MESSAGES = [
  // 1: UTF-8 base64 subject, ISO-8859-1 Q display name.
  "From: =?ISO-8859-1?Q?J=F6rg_M=FCller?= <jorg@example.de>\n" +
  "To: alice@example.com\nSubject: =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=\n\nbody one\n",
  // 2: UTF-8 Q subject split over two encoded-words and a folded line.
  "From: bob@example.com\nTo: =?utf-8?q?Ren=C3=A9e?= <renee@example.fr>\n" +
  "Subject: =?UTF-8?Q?Caf=C3=A9_cr?=\n =?UTF-8?Q?=C3=A8me?= ok\nX-Tag: =?UTF-8?B?w6lsw6lwaGFudA==?=\n\nbody two\n",
  // 3: plain ASCII, and raw UTF-8 octets in a header.
  "From: carol@example.org\nTo: alice@example.com\nSubject: Straße plain\n\nbody three\n",
];

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

async function accounts(): Promise<[string, IAccount][]> {
  const memory = new MemoryAccount("alice");
  const inbox = memory.select("INBOX", true)!;
  for (const m of MESSAGES) inbox.addMessage(enc.encode(m), [], null);
  const root = mkdtempSync(join(tmpdir(), "tw-imap4-2047-"));
  roots.push(root);
  const dir = join(root, "alice");
  await initializeMaildir(reactor.runtime, dir);
  MESSAGES.forEach((m, i) =>
    writeFileSync(join(dir, "cur", `${1600000000 + i}.M${i}P1.host:2,`), m)
  );
  return [["MemoryAccount", memory], ["MaildirAccount", new MaildirAccount(reactor.runtime, dir)]];
}

/** A UTF-8 search string as an IMAP literal. */
const lit = (s: string): string => `{${enc.encode(s).byteLength}+}\r\n${s}`;

describe("decodeHeaderText", () => {
  it("decodes B and Q encoded-words in UTF-8 and ISO-8859-1, joining adjacent ones", () => {
    assert.equal(decodeHeaderText("=?UTF-8?B?R3LDvMOfZQ==?="), "Grüße");
    assert.equal(decodeHeaderText("=?iso-8859-1?q?J=F6rg_M=FCller?= <j@x>"), "Jörg Müller <j@x>");
    assert.equal(
      decodeHeaderText("=?UTF-8?Q?Caf=C3=A9_cr?= =?UTF-8?Q?=C3=A8me?= ok"),
      "Café crème ok",
    );
    assert.equal(decodeHeaderText("a =?UTF-8*en?Q?b?= c"), "a b c");
    assert.equal(decodeHeaderText(octets("Straße")), "Straße");
    assert.equal(decodeHeaderText("caf\xe9"), "caf\xe9", "not UTF-8: ISO-8859-1");
  });

  it("leaves what it cannot decode as it is", () => {
    assert.equal(decodeHeaderText("=?no-such-charset?B?QQ==?="), "=?no-such-charset?B?QQ==?=");
    assert.equal(decodeHeaderText("=?UTF-8?B?Q?="), "=?UTF-8?B?Q?=");
    assert.equal(decodeHeaderText("=?UTF-8?X?abc?="), "=?UTF-8?X?abc?=");
    assert.equal(decodeHeaderText("=?UTF-8?Q?=ZZ?="), "=ZZ");
  });

  it("B and Q encodings of any text decode back to it; any input decodes without throwing (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (text) => {
        const bytes = enc.encode(text);
        const b64 = btoa(String.fromCharCode(...bytes));
        const q = [...bytes].map((b) => "=" + b.toString(16).toUpperCase().padStart(2, "0"))
          .join("");
        assert.equal(decodeHeaderText(`=?UTF-8?B?${b64}?=`), text);
        assert.equal(decodeHeaderText(`=?utf-8?Q?${q}?=`), text);
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (raw) => {
        const latin1Text = [...raw].map((c) => (c.charCodeAt(0) > 0xff ? "?" : c)).join("");
        assert.equal(typeof decodeHeaderText(latin1Text), "string");
      }),
    );
  });
});

describe("SEARCH with encoded-words", () => {
  it("SUBJECT, FROM, TO, HEADER and TEXT match decoded text, case-insensitively", async () => {
    for (const [name, account] of await accounts()) {
      const s = new Session({ portal: portalFor(account) });
      await s.login();
      await s.command("s", "SELECT INBOX");
      const search = async (criteria: string): Promise<string> => {
        const r = await s.command("q", `SEARCH CHARSET UTF-8 ${criteria}`);
        return /\* SEARCH([^\r]*)\r\n/.exec(r)?.[1].trim() ?? r;
      };
      assert.equal(await search(`SUBJECT ${lit("grüße AUS köln")}`), "1", name);
      assert.equal(await search(`SUBJECT ${lit("GRÜßE")}`), "1", name);
      assert.equal(await search(`FROM ${lit("jörg müller")}`), "1", name);
      assert.equal(await search(`FROM ${lit("JÖRG")}`), "1", name);
      assert.equal(await search(`TO ${lit("renée")}`), "2", name);
      assert.equal(await search(`SUBJECT ${lit("café crème")}`), "2", name);
      assert.equal(await search(`HEADER X-Tag ${lit("ÉLÉPHANT")}`), "2", name);
      assert.equal(await search(`TEXT ${lit("éléphant")}`), "2", name);
      assert.equal(await search(`SUBJECT ${lit("straße")}`), "3", name);
      assert.equal(await search("SUBJECT R3LDvMOfZQ"), "", name);
      assert.equal(await search(`OR SUBJECT ${lit("köln")} TO ${lit("renée")}`), "1 2", name);
      assert.equal(await search(`NOT SUBJECT ${lit("é")}`), "1 3", name);
      s.close();
    }
  });
});
