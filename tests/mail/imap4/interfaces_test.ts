// Twisted's optional mailbox and account interfaces, as the server uses them:
// ISearchableMailbox (SEARCH given to the mailbox), IMessageCopier (COPY and
// MOVE give the target an IMessage, which is also an IMessagePart and an
// IMessageFile), ICloseableMailbox (close at CLOSE, UNSELECT, SELECT of
// another, LOGOUT, a lost connection, and after STATUS/APPEND/COPY), and
// INamespacePresenter (NAMESPACE); MemoryAccount provides them all.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type IAccount,
  type ICloseableMailbox,
  type IMailbox,
  type IMailboxInfo,
  type IMessage,
  type IMessageCopier,
  type IMessageFile,
  type INamespacePresenter,
  type ISearchableMailbox,
  MemoryAccount,
  type Namespace,
  type SearchKey,
} from "../../../src/mail/imap4/mod.ts";
import { portalFor, Session } from "./_harness.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const MULTIPART = [
  "From: a@example.com",
  "Subject: parts",
  'Content-Type: multipart/mixed; boundary="B"',
  "",
  "--B",
  "Content-Type: text/plain",
  "",
  "first",
  "--B",
  "Content-Type: text/html",
  "",
  "<p>second</p>",
  "--B--",
  "",
].join("\r\n");

interface Calls {
  searches: [SearchKey, number[]][];
  copies: IMessage[];
  closes: string[];
}

/** A MemoryAccount whose mailboxes record what the server asks of them. */
class Recording implements IAccount, INamespacePresenter {
  readonly inner = new MemoryAccount("alice");
  readonly calls: Calls = { searches: [], copies: [], closes: [] };
  /** When false, mailboxes have no `search` (the server searches). */
  searchable = true;

  listMailboxes(): [string, IMailboxInfo][] {
    return this.inner.listMailboxes();
  }
  select(name: string, readwrite: boolean): IMailbox | null {
    const box = this.inner.select(name, readwrite);
    if (box === null) return null;
    const calls = this.calls;
    const wrapped: IMailbox & ISearchableMailbox & IMessageCopier & ICloseableMailbox = {
      getFlags: () => box.getFlags(),
      getPermanentFlags: () => box.getPermanentFlags(),
      getHierarchicalDelimiter: () => box.getHierarchicalDelimiter(),
      getUIDValidity: () => box.getUIDValidity(),
      getUIDNext: () => box.getUIDNext(),
      isWriteable: () => box.isWriteable(),
      listMessages: () => box.listMessages(),
      getMessage: (uid) => box.getMessage(uid),
      addMessage: (m, f, d) => box.addMessage(m, f, d),
      setFlags: (uid, f) => box.setFlags(uid, f),
      expunge: (uids) => box.expunge(uids),
      addListener: (l) => box.addListener(l),
      removeListener: (l) => box.removeListener(l),
      search: (key, uids) => {
        calls.searches.push([key, uids]);
        return box.search(key, uids);
      },
      copy: (m) => {
        calls.copies.push(m);
        return box.copy(m);
      },
      close: () => {
        calls.closes.push(name);
        box.close();
      },
    };
    if (!this.searchable) {
      return { ...wrapped, search: undefined } as unknown as IMailbox;
    }
    return wrapped;
  }
  create(name: string): boolean {
    return this.inner.create(name);
  }
  delete(name: string): void {
    this.inner.delete(name);
  }
  rename(a: string, b: string): void {
    this.inner.rename(a, b);
  }
  isSubscribed(name: string): boolean {
    return this.inner.isSubscribed(name);
  }
  subscribe(name: string): void {
    this.inner.subscribe(name);
  }
  unsubscribe(name: string): void {
    this.inner.unsubscribe(name);
  }
  getPersonalNamespaces(): Namespace[] {
    return [["", "/"]];
  }
  getSharedNamespaces(): Namespace[] {
    return [["#shared/", "/"], ["#public/", "/"]];
  }
  getUserNamespaces(): Namespace[] | null {
    return null;
  }
}

async function session(account: Recording): Promise<Session> {
  const inbox = account.inner.select("INBOX", true)!;
  inbox.addMessage(enc.encode("Subject: one\r\n\r\nfirst\r\n"), ["\\Seen"], new Date(86400000));
  inbox.addMessage(enc.encode(MULTIPART), ["$Work"], new Date(2 * 86400000));
  inbox.addMessage(enc.encode("Subject: three\r\n\r\nthird\r\n"), [], null);
  account.inner.create("Archive");
  const s = new Session({ portal: portalFor(account) });
  await s.login();
  await s.command("s", "SELECT INBOX");
  return s;
}

describe("ISearchableMailbox", () => {
  it("SEARCH goes to the mailbox with the session's UIDs; the answer is mapped to numbers", async () => {
    const account = new Recording();
    const s = await session(account);
    await s.command("x", "UID STORE 1 +FLAGS.SILENT (\\Deleted)");
    await s.command("e", "EXPUNGE");
    account.calls.searches.length = 0;
    assert.match(await s.command("a", "SEARCH SUBJECT three"), /\* SEARCH 2\r\n/);
    assert.match(await s.command("b", "UID SEARCH UNSEEN"), /\* SEARCH 2 3\r\n/);
    assert.match(await s.command("c", "SEARCH 1 KEYWORD $work"), /\* SEARCH 1\r\n/);
    assert.equal(account.calls.searches.length, 3);
    assert.deepEqual(account.calls.searches[0][1], [2, 3], "UIDs by sequence number");
    assert.deepEqual(account.calls.searches[0][0], {
      op: "HEADER",
      name: "SUBJECT",
      value: "three",
    });
    s.close();
  });

  it("without search the server reads the messages itself, with the same answers", async () => {
    const account = new Recording();
    account.searchable = false;
    const s = await session(account);
    assert.match(await s.command("a", "SEARCH SUBJECT three"), /\* SEARCH 3\r\n/);
    assert.match(await s.command("b", "UID SEARCH UNSEEN"), /\* SEARCH 2 3\r\n/);
    assert.equal(account.calls.searches.length, 0);
    s.close();
  });
});

describe("IMessageCopier, IMessage, IMessagePart, IMessageFile", () => {
  it("COPY and MOVE give the target each message; its parts, headers and octets read right", async () => {
    const account = new Recording();
    const s = await session(account);
    assert.match(await s.command("c", "COPY 1:2 Archive"), /COPYUID \d+ 1:2 1:2\]/);
    const [one, two] = account.calls.copies;
    assert.equal(one.getUID(), 1);
    assert.deepEqual(one.getFlags(), ["\\Seen"]);
    assert.equal(one.getInternalDate().getTime(), 86400000);
    assert.deepEqual(await one.getHeaders(false), { subject: "one" });
    assert.equal(dec.decode(await one.getBodyFile()), "first\r\n");
    assert.equal(await one.getSize(), 23);
    assert.equal(await one.isMultipart(), false);
    const file = one as unknown as IMessageFile;
    assert.equal(dec.decode(await file.open()), "Subject: one\r\n\r\nfirst\r\n");
    assert.deepEqual(two.getFlags(), ["$Work"]);
    assert.equal(await two.isMultipart(), true);
    assert.deepEqual(await two.getHeaders(false, "SUBJECT", "from"), {
      from: "a@example.com",
      subject: "parts",
    });
    assert.deepEqual(Object.keys(await two.getHeaders(true, "subject")), ["from", "content-type"]);
    const html = await two.getSubPart(1);
    assert.deepEqual(await html.getHeaders(false), { "content-type": "text/html" });
    assert.equal(dec.decode(await html.getBodyFile()), "<p>second</p>");
    await assert.rejects(async () => await two.getSubPart(2), RangeError);
    // The copies are there, with flags and dates, byte for byte.
    await s.command("x", "EXAMINE Archive");
    const f = await s.command("f", "FETCH 1:2 (FLAGS INTERNALDATE RFC822.SIZE)");
    assert.match(
      f,
      /\* 1 FETCH \(FLAGS \(\\Seen \\Recent\) INTERNALDATE "02-Jan-1970 00:00:00 \+0000" RFC822.SIZE 23\)/,
    );
    const size = enc.encode(MULTIPART).byteLength;
    assert.ok(
      f.includes(
        `* 2 FETCH (FLAGS ($Work \\Recent) INTERNALDATE "03-Jan-1970 00:00:00 +0000" RFC822.SIZE ${size})`,
      ),
      f,
    );
    await s.command("s", "SELECT INBOX");
    assert.match(await s.command("m", "MOVE 3 Archive"), /\* 3 EXPUNGE\r\nm OK MOVE/);
    assert.equal(account.calls.copies.length, 3);
    s.close();
  });
});

describe("ICloseableMailbox", () => {
  it("close is called at SELECT of another, CLOSE, UNSELECT, STATUS, APPEND, COPY, LOGOUT and a lost connection", async () => {
    const account = new Recording();
    const s = await session(account);
    const closes = account.calls.closes;
    await s.command("a", "SELECT Archive");
    assert.deepEqual(closes, ["INBOX"]);
    await s.command("b", "CLOSE");
    await s.command("c", "EXAMINE INBOX");
    await s.command("d", "UNSELECT");
    assert.deepEqual(closes, ["INBOX", "Archive", "INBOX"]);
    closes.length = 0;
    await s.command("e", "STATUS Archive (MESSAGES)");
    assert.match(await s.command("f", "APPEND Archive {10+}\r\nSubject: x"), /f OK/);
    await s.command("g", "SELECT INBOX");
    await s.command("h", "COPY 1 Archive");
    assert.deepEqual(closes, ["Archive", "Archive", "Archive"]);
    await s.command("i", "LOGOUT");
    assert.deepEqual(closes, ["Archive", "Archive", "Archive", "INBOX"]);
    const t = await session(new Recording());
    const lost = (t.server.account as Recording).calls.closes;
    t.close();
    await new Promise((r) => setTimeout(r, 0));
    assert.deepEqual(lost, ["INBOX"]);
  });
});

describe("INamespacePresenter", () => {
  it("NAMESPACE comes from the account; MemoryAccount has the personal one", async () => {
    const s = await session(new Recording());
    assert.match(
      await s.command("n", "NAMESPACE"),
      /\* NAMESPACE \(\("" "\/"\)\) \(\("#shared\/" "\/"\)\("#public\/" "\/"\)\) NIL\r\n/,
    );
    s.close();
    const memory = new MemoryAccount("alice");
    const t = new Session({ portal: portalFor(memory) });
    await t.login();
    assert.match(await t.command("n", "NAMESPACE"), /\* NAMESPACE \(\("" "\/"\)\) NIL NIL\r\n/);
    t.close();
  });

  it("MemoryAccount's types say what it implements", () => {
    const account: IAccount & INamespacePresenter = new MemoryAccount("alice");
    const box: ISearchableMailbox & IMessageCopier & ICloseableMailbox = new MemoryAccount("bob")
      .select("INBOX", true)!;
    assert.deepEqual(account.getSharedNamespaces(), null);
    assert.equal(typeof box.search, "function");
  });
});
