// FTPClient units over StringTransport and MemoryReactor: greeting and login
// (anonymous defaults, 230 without PASS, failures), the command queue,
// multi-line and preliminary replies, bad and oversized replies, AUTH TLS with
// PROT P, SIZE, MDTM, PWD, RENAME, QUIT; FTPFileListProtocol and parsePWDResponse.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { CancelledError } from "../../../src/internet/defer.ts";
import { ConnectionDone } from "../../../src/internet/error.ts";
import { StringTransport, trackLeaks } from "../../../src/testing/mod.ts";
import {
  BadResponse,
  CommandFailed,
  ConnectionLost,
  FTPFileListProtocol,
  parsePWDResponse,
  UnexpectedResponse,
} from "../../../src/protocols/ftp/mod.ts";
import {
  dataProtocol,
  done,
  enc,
  login,
  outcome,
  setup,
  type TLSStringTransport,
} from "./_client_harness.ts";

trackLeaks({ beforeEach, afterEach });

describe("FTPClient: greeting and login", () => {
  it("sends nothing before the greeting, then USER, PASS, TYPE I, then queued commands", () => {
    const h2 = setup();
    const pwd2 = outcome(h2.client.pwd());
    h2.server("220 hi\r\n331 pw\r\n");
    assert.equal(h2.sent(), "USER alice\r\nPASS secret\r\n");
    h2.server("230 ok\r\n200 binary\r\n");
    assert.equal(h2.sent(), "TYPE I\r\nPWD\r\n");
    h2.server('257 "/home" is current\r\n');
    assert.deepEqual(pwd2.value, ['257 "/home" is current']);
    assert.deepEqual(h2.client.greeting, ["220 hi"]);
  });

  it("logs in as Twisted's anonymous user by default", () => {
    const h = setup({}, []);
    h.server("220 hi\r\n");
    assert.equal(h.sent(), "USER anonymous\r\n");
    h.server("331 any password\r\n");
    assert.equal(h.sent(), "PASS twisted@twistedmatrix.com\r\n");
  });

  it("skips PASS when USER answers 230, and when the password is null", () => {
    const h = setup();
    h.server("220 hi\r\n230 no password needed\r\n");
    assert.equal(h.sent(), "USER alice\r\nTYPE I\r\n");
    const n = setup({}, ["bob", null]);
    n.server("220 hi\r\n331 pw\r\n");
    assert.equal(n.sent(), "USER bob\r\nTYPE I\r\n");
  });

  it("fails everything queued with ConnectionLost (cause: the reply) when the login fails", () => {
    const h = setup();
    const pwd = outcome(h.client.pwd());
    h.server("220 hi\r\n331 pw\r\n530 Login incorrect.\r\n");
    assert.ok(pwd.error instanceof ConnectionLost);
    assert.ok(pwd.error.cause instanceof CommandFailed);
    assert.deepEqual((pwd.error.cause as CommandFailed).response, ["530 Login incorrect."]);
    assert.equal(h.transport.disconnecting, true);
    // Later commands fail at once.
    assert.ok(outcome(h.client.cdup()).error instanceof ConnectionLost);
  });

  it("refuses a user name or password with CR or LF", () => {
    const h = setup({}, ["alice\r\nDELE x", "secret"]);
    const pwd = outcome(h.client.pwd());
    h.server("220 hi\r\n");
    assert.equal(h.sent(), "");
    assert.ok(pwd.error?.cause instanceof SyntaxError);
    assert.equal(h.transport.disconnecting, true);
  });

  it("fails on a 421 greeting, waits through a 120 one", () => {
    const h = setup();
    const pwd = outcome(h.client.pwd());
    h.server("421 Too many users\r\n");
    assert.ok(pwd.error instanceof ConnectionLost);
    assert.equal(h.transport.disconnecting, true);
    const w = setup();
    w.server("120 ready in 1 minute\r\n");
    assert.equal(w.sent(), "");
    w.server("220 ready\r\n");
    assert.equal(w.sent(), "USER alice\r\n");
    assert.deepEqual(w.client.greeting, ["120 ready in 1 minute", "220 ready"]);
  });
});

describe("FTPClient: commands and replies", () => {
  it("runs one command at a time, in order", () => {
    const h = setup();
    login(h);
    const a = outcome(h.client.cwd("/a"));
    const b = outcome(h.client.makeDirectory("b"));
    const c = outcome(h.client.removeFile("c"));
    assert.equal(h.sent(), "CWD /a\r\n");
    h.server("250 ok\r\n");
    assert.equal(h.sent(), "MKD b\r\n");
    h.server('257 "/a/b" created\r\n');
    assert.equal(h.sent(), "DELE c\r\n");
    h.server("550 No such file\r\n");
    assert.deepEqual(a.value, ["250 ok"]);
    assert.deepEqual(b.value, ['257 "/a/b" created']);
    assert.ok(c.error instanceof CommandFailed);
    assert.deepEqual(c.error.response, ["550 No such file"]);
    assert.equal(c.error.code, 550);
    h.client.removeDirectory("d");
    h.client.cdup();
    assert.equal(h.sent(), "RMD d\r\n");
    h.server("250 ok\r\n");
    assert.equal(h.sent(), "CDUP\r\n");
  });

  it("reads multi-line replies up to the line with the same code and a space", () => {
    const h = setup();
    login(h);
    const feat = outcome(h.client.queueStringCommand("FEAT"));
    h.server("211-Features:\r\n EPSV\r\n");
    h.server("211-not the end\r\n123 not the end either\r\n211");
    assert.equal(feat.value, undefined);
    h.server(" End\r\n");
    assert.deepEqual(feat.value, [
      "211-Features:",
      " EPSV",
      "211-not the end",
      "123 not the end either",
      "211 End",
    ]);
    // Bare LF line ends and a code alone on the last line are read too.
    const help = outcome(h.client.queueStringCommand("HELP"));
    h.server("214-help\n214\n");
    assert.deepEqual(help.value, ["214-help", "214"]);
  });

  it("refuses a command with CR or LF, and sends LF in a path as NUL", () => {
    const h = setup();
    login(h);
    const bad = outcome(h.client.queueStringCommand("NOOP\r\nDELE x"));
    assert.ok(bad.error instanceof SyntaxError);
    assert.equal(h.client.escapePath("a\nb"), "a\0b");
    h.client.cwd("a\nb");
    assert.equal(h.sent(), "CWD a\0b\r\n");
  });

  it("cancelling a queued command unqueues it", () => {
    const h = setup();
    login(h);
    h.client.cwd("/a");
    const b = h.client.cwd("/b");
    const bOut = outcome(b);
    b.cancel();
    h.client.cwd("/c");
    assert.equal(h.sent(), "CWD /a\r\n");
    h.server("250 ok\r\n");
    assert.equal(h.sent(), "CWD /c\r\n");
    assert.ok(bOut.error instanceof CancelledError);
  });

  it("closes with BadResponse on a reply without a code", () => {
    const h = setup();
    login(h);
    const pwd = outcome(h.client.pwd());
    h.server("HTTP/1.1 400 Bad Request\r\n");
    assert.ok(pwd.error instanceof ConnectionLost);
    assert.ok(pwd.error.cause instanceof BadResponse);
    assert.match((pwd.error.cause as Error).message, /no reply code/);
    assert.equal(h.transport.disconnecting, true);
  });

  it("closes with BadResponse on codes outside 1xx-5xx", () => {
    const h = setup();
    login(h);
    const pwd = outcome(h.client.pwd());
    h.server("631 protected reply\r\n");
    assert.ok(pwd.error?.cause instanceof BadResponse);
  });

  it("bounds reply lines and replies", () => {
    const h = setup();
    login(h);
    const pwd = outcome(h.client.pwd());
    h.server("257 " + "x".repeat(9000));
    assert.ok(pwd.error?.cause instanceof BadResponse);
    assert.match((pwd.error!.cause as Error).message, /longer than 8192 bytes/);
    const m = setup({ maxReplyLines: 5 });
    login(m);
    const feat = outcome(m.client.queueStringCommand("FEAT"));
    m.server("211-a\r\n b\r\n c\r\n d\r\n e\r\n f\r\n");
    assert.ok(feat.error?.cause instanceof BadResponse);
    assert.equal(m.transport.disconnecting, true);
  });

  it("fails on a reply nothing waits for", () => {
    const h = setup();
    login(h);
    const lost = outcome(h.client.pwd());
    h.server('257 "/"\r\n200 surprise\r\n');
    assert.deepEqual(lost.value, ['257 "/"']);
    const later = outcome(h.client.pwd());
    assert.ok(later.error instanceof ConnectionLost);
    assert.ok(later.error.cause instanceof UnexpectedResponse);
  });

  it("fails what is queued when the connection is lost", () => {
    const h = setup();
    login(h);
    const a = outcome(h.client.pwd());
    const b = outcome(h.client.cdup());
    h.client.connectionLost(done());
    assert.ok(a.error instanceof ConnectionLost);
    assert.ok(b.error instanceof ConnectionLost);
    assert.ok(a.error.cause instanceof ConnectionDone);
  });

  it("parses PWD, SIZE and MDTM answers, and rejects malformed ones", () => {
    const h = setup();
    login(h);
    const dir = outcome(h.client.getDirectory());
    h.server('257 "/with ""quotes""" is current\r\n');
    assert.equal(dir.value, '/with "quotes"');
    const noPath = outcome(h.client.getDirectory());
    h.server("257 somewhere\r\n");
    assert.ok(noPath.error instanceof CommandFailed);
    const size = outcome(h.client.size("f"));
    assert.equal(h.sent().split("\r\n").at(-2), "SIZE f");
    h.server("213 123456789012\r\n");
    assert.equal(size.value, 123456789012);
    const badSize = outcome(h.client.size("f"));
    h.server("213 many\r\n");
    assert.ok(badSize.error instanceof BadResponse);
    const mdtm = outcome(h.client.modificationTime("f"));
    h.server("213 20240229235958.25\r\n");
    assert.equal(mdtm.value?.toISOString(), "2024-02-29T23:59:58.250Z");
    const badDate = outcome(h.client.modificationTime("f"));
    h.server("213 20230229000000\r\n");
    assert.ok(badDate.error instanceof BadResponse);
    const missing = outcome(h.client.size("nope"));
    h.server("550 no such file\r\n");
    assert.ok(missing.error instanceof CommandFailed);
  });

  it("renames with RNFR and RNTO, and skips RNTO when RNFR fails", () => {
    const h = setup();
    login(h);
    const ok = outcome(h.client.rename("a", "b"));
    assert.equal(h.sent(), "RNFR a\r\n");
    h.server("350 ready\r\n");
    assert.equal(h.sent(), "RNTO b\r\n");
    h.server("250 renamed\r\n");
    assert.deepEqual(ok.value, [["350 ready"], ["250 renamed"]]);
    const bad = outcome(h.client.rename("x", "y"));
    h.client.pwd();
    assert.equal(h.sent(), "RNFR x\r\n");
    h.server("550 no x\r\n");
    assert.equal(h.sent(), "PWD\r\n");
    assert.ok(bad.error instanceof CommandFailed);
  });

  it("closes the connection after QUIT's reply", () => {
    const h = setup();
    login(h);
    const bye = outcome(h.client.quit());
    assert.equal(h.sent(), "QUIT\r\n");
    assert.equal(h.transport.disconnecting, false);
    h.server("221 bye\r\n");
    assert.deepEqual(bye.value, ["221 bye"]);
    assert.equal(h.transport.disconnecting, true);
  });
});

describe("FTPClient: TLS", () => {
  it("AUTH TLS, then the login, PBSZ 0, PROT P; data connections start TLS after the 1xx", () => {
    const ca = "-----BEGIN CERTIFICATE-----\n...";
    const h = setup({ tls: { ca } });
    h.server("220 hi\r\n");
    assert.equal(h.sent(), "AUTH TLS\r\n");
    h.server("234 go ahead\r\n");
    assert.deepEqual(h.transport.tls, [{ ca, isServer: false }]);
    assert.equal(h.client.secure, true);
    assert.equal(h.sent(), "USER alice\r\n");
    h.server("331 pw\r\n230 ok\r\n");
    assert.equal(h.sent(), "PASS secret\r\nPBSZ 0\r\n");
    h.server("200 PBSZ=0\r\n");
    assert.equal(h.sent(), "PROT P\r\n");
    h.server("200 private\r\n");
    assert.equal(h.sent(), "TYPE I\r\n");
    h.server("200 binary\r\n");
    const [consumerD] = h.client.storeFile("f");
    const consumer = outcome(consumerD);
    h.server("229 (|||5000|)\r\n");
    const { transport } = dataProtocol(h);
    assert.deepEqual((transport as TLSStringTransport).tls, []);
    h.server("150 ok\r\n");
    assert.deepEqual((transport as TLSStringTransport).tls, [{ ca, isServer: false }]);
    assert.ok(consumer.value);
  });

  it("fails when the server refuses AUTH TLS", () => {
    const h = setup({ tls: {} });
    const pwd = outcome(h.client.pwd());
    h.server("220 hi\r\n534 no TLS here\r\n");
    assert.ok(pwd.error instanceof ConnectionLost);
    assert.ok(pwd.error.cause instanceof CommandFailed);
    assert.equal(h.sent(), "AUTH TLS\r\n");
  });
});

describe("FTPFileListProtocol and parsePWDResponse", () => {
  it("reads ls -l lines, links, escaped spaces, and hands others to unknownLine", () => {
    const files = new FTPFileListProtocol();
    const unknown: string[] = [];
    files.unknownLine = (line) => unknown.push(line);
    files.makeConnection(new StringTransport());
    files.dataReceived(enc.encode(
      "total 12\r\n" +
        "-rw-r--r--   1 root     other        531 Jan 29 03:26 README\r\n" +
        "drwxr-xr-x+  2 alice    staff       4096 Jan  3  2020 I HAVE\\ SPACE\n" +
        "lrwxrwxrwx   1 root     root           6 Feb 10 10:01 N S -> L S\r\n" +
        "-rw-r--r--   1 root     root           6 Feb 10 10:01 not -> a link\r\n" +
        "garbage\r\n",
    ));
    assert.deepEqual(unknown, ["total 12", "garbage"]);
    assert.deepEqual(files.files.map((f) => [f.filetype, f.filename, f.linktarget, f.size]), [
      ["-", "README", null, 531],
      ["d", "I HAVE SPACE", null, 4096],
      ["l", "N S", "L S", 6],
      ["-", "not -> a link", null, 6],
    ]);
    assert.deepEqual(files.files[0], {
      filetype: "-",
      perms: "rw-r--r--",
      nlinks: 1,
      owner: "root",
      group: "other",
      size: 531,
      date: "Jan 29 03:26",
      filename: "README",
      linktarget: null,
    });
    assert.equal(files.files[1].date, "Jan 3 2020");
  });

  it("parsePWDResponse undoes doubled quotes and returns null without a path", () => {
    assert.equal(parsePWDResponse('257 "/home/andrew" is current directory.'), "/home/andrew");
    assert.equal(parsePWDResponse('257 "/a""b" created'), '/a"b');
    assert.equal(parsePWDResponse('257 "/unterminated'), null);
    assert.equal(parsePWDResponse("257 /"), null);
  });
});
