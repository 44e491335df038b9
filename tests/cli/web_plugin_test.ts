// `tw web` (twistd web): its options parsed and its service made in this
// process on a MemoryReactor, the access log formatted by a Site over a
// StringTransport, then the real program on the runtime running this file,
// exercised with curl (Debian's curl package, installed by .ci/run) and with
// our own HTTP client (treq).
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Deferred, Factory, Protocol, reactor } from "../../mod.ts";
import type { IService, MultiService } from "../../src/application/mod.ts";
import { type ListeningService, type Options, UsageError, webPlugin } from "../../src/cli/mod.ts";
import { type Address, IPv4Address, UNIXAddress } from "../../src/internet/address.ts";
import type { Reactor } from "../../src/internet/reactor.ts";
import { MemoryReactorClock, StringTransport, trackLeaks } from "../../src/testing/mod.ts";
import {
  Agent,
  combinedLogFormatter,
  Data,
  datetimeToLogString,
  type HTTPRequest,
  Resource,
  Site,
  treq,
} from "../../src/web/mod.ts";
import { splitExportSpec } from "../../src/cli/plugins/_modules.ts";
import { CURRENT, exec, ROOT, runToEnd, start, tempDir, terminate } from "./_program.ts";

trackLeaks({ beforeEach, afterEach });

const LOCAL = "tcp:0:interface=127.0.0.1";
const fixture = (name: string): string => join("tests/cli/fixtures", name);

// ---- in this process ---------------------------------------------------------

function parsed(argv: string[]): Options {
  const options = new webPlugin.options();
  options.parseOptions(argv);
  return options;
}

/** The endpoint descriptions the plugin listens on (its service made, not started). */
async function endpoints(argv: string[]): Promise<string[]> {
  const memory = new MemoryReactorClock();
  const context = { reactor: memory as unknown as Reactor, cwd: "/srv" };
  const tree = await webPlugin.makeService(parsed(argv), context) as MultiService;
  return [...tree].map((s: IService) => (s as ListeningService).description);
}

describe("tw web options", () => {
  it("--port replaces the default tcp:8080 instead of adding to it", async () => {
    assert.deepEqual(await endpoints([]), ["tcp:8080"]);
    assert.deepEqual(await endpoints(["--port", "18081"]), ["tcp:18081"]);
    assert.deepEqual(await endpoints(["-p", "18081", "--interface", "::1"]), [
      "tcp:18081:interface=\\:\\:1",
    ]);
    assert.deepEqual(await endpoints(["--interface", "127.0.0.1"]), [
      "tcp:8080:interface=127.0.0.1",
    ]);
  });

  it("--listen replaces the default too; with --port both listen, --listen first", async () => {
    assert.deepEqual(await endpoints(["--listen", "tcp:7001"]), ["tcp:7001"]);
    assert.deepEqual(
      await endpoints(["--listen", "tcp:7001", "--listen", "unix:/tmp/w.sock", "-p", "7002"]),
      ["tcp:7001", "unix:/tmp/w.sock", "tcp:7002"],
    );
  });

  it("--port takes an endpoint description, as twistd's does", async () => {
    assert.deepEqual(await endpoints(["--port", "tcp:7003:interface=127.0.0.1"]), [
      "tcp:7003:interface=127.0.0.1",
    ]);
    assert.throws(() => parsed(["--port", "http"]), /not a port number or an endpoint/);
    assert.throws(() => parsed(["--port", "70000"]), /not in 0\.\.65535/);
  });

  it("--https adds a TLS port; alone it serves HTTPS only, as twistd web", async () => {
    const tls = ["--https", "8443", "-c", "cert.pem", "-k", "/keys/key.pem"];
    assert.deepEqual(await endpoints(tls), [
      "ssl:8443:privateKey=/keys/key.pem:certKey=/srv/cert.pem",
    ]);
    assert.deepEqual(await endpoints([...tls, "--port", "8080"]), [
      "tcp:8080",
      "ssl:8443:privateKey=/keys/key.pem:certKey=/srv/cert.pem",
    ]);
    assert.deepEqual(await endpoints([...tls, "--listen", "tcp:80"]), [
      "tcp:80",
      "ssl:8443:privateKey=/keys/key.pem:certKey=/srv/cert.pem",
    ]);
  });

  it("--header-timeout, --request-timeout, --idle-timeout and --shutdown-timeout set the Site's", async () => {
    const siteOf = async (argv: string[]): Promise<Site> => {
      const memory = new MemoryReactorClock();
      const context = { reactor: memory as unknown as Reactor, cwd: "/srv" };
      const tree = await webPlugin.makeService(parsed(argv), context) as MultiService;
      return ([...tree][0] as ListeningService).factory as unknown as Site;
    };
    const defaults = await siteOf([]);
    assert.deepEqual(
      [defaults.headerTimeout, defaults.requestTimeout, defaults.timeOut, defaults.shutdownTimeout],
      [60, 300, 60, 10],
    );
    const set = await siteOf([
      "--header-timeout",
      "5",
      "--request-timeout",
      "0",
      "--idle-timeout",
      "7.5",
      "--shutdown-timeout",
      "3",
    ]);
    assert.deepEqual(
      [set.headerTimeout, set.requestTimeout, set.timeOut, set.shutdownTimeout],
      [5, null, 7.5, 3],
    );
    assert.throws(() => parsed(["--header-timeout", "soon"]), /not a number of seconds/);
    assert.throws(() => parsed(["--idle-timeout", "-1"]), /not a number of seconds/);
  });

  it("has twistd web's names and short letters", () => {
    const o = parsed([
      "-l",
      "access.log",
      "-i",
      "home.htm",
      "--index",
      "index.html",
      "-m",
      "text/plain",
      "--path",
      "/srv/www",
      "--ignore-ext",
      ".php",
      "--ignore-ext",
      "html",
      "--add-header",
      "X-Frame-Options: DENY",
      "--add-header",
      "Cache-Control:  no-cache , private ",
      "-n",
      "--display-tracebacks",
    ]).opts;
    assert.equal(o.logfile, "access.log");
    assert.deepEqual(o.index, ["home.htm", "index.html"]);
    assert.equal(o["mime-type"], "text/plain");
    assert.deepEqual(o["ignore-ext"], [".php", ".html"]);
    assert.deepEqual(o["add-header"], [
      ["X-Frame-Options", "DENY"],
      ["Cache-Control", "no-cache , private"],
    ]);
    assert.equal(o.notracebacks, true);
    assert.equal(o["display-tracebacks"], true);
    assert.deepEqual(o.listen, [], "-l is the access log, not --listen");
    const certs = parsed(["--https", "443", "-c", "c.pem", "-k", "k.pem"]).opts;
    assert.deepEqual([certs.certificate, certs.privkey], ["c.pem", "k.pem"]);
    const usage = new webPlugin.options().getUsage();
    for (
      const label of [
        "-l, --logfile PATH",
        "-i, --index NAME",
        "-m, --mime-type TYPE",
        "--ignore-ext .EXT",
        "--add-header HEADER",
        "--class MODULE#NAME",
        "--resource-script MODULE",
        "--fetch-app MODULE#NAME",
        "--display-tracebacks",
        "-n, --notracebacks",
        "    --listen ENDPOINT",
      ]
    ) {
      assert.ok(usage.includes(label), `help shows ${label}`);
    }
  });

  it("MODULE#NAME splits at a final #identifier only, so paths and URLs stay whole", () => {
    assert.deepEqual(splitExportSpec("./root.ts#Root", "default"), {
      module: "./root.ts",
      name: "Root",
    });
    assert.deepEqual(splitExportSpec("jsr:@me/site#app", "default"), {
      module: "jsr:@me/site",
      name: "app",
    });
    for (const whole of ["./root.ts", "https://x.test/a.ts", "C:\\w\\a.ts", "#internal/a", "a#1"]) {
      assert.deepEqual(splitExportSpec(whole, "default"), { module: whole, name: "default" });
    }
  });

  it("refuses bad headers, several roots, and --path options without --path", () => {
    assert.throws(() => parsed(["--add-header", "NoColon"]), /is not "Name: value"/);
    assert.throws(() => parsed(["--add-header", "Bad Name: x"]), /is not a header name/);
    assert.throws(() => parsed(["--ignore-ext", "a/b"]), /is not a file extension/);
    assert.throws(
      () => parsed(["--path", "/srv", "--class", "./r.ts#R"]),
      (e: unknown) => e instanceof UsageError && /Give one of --path, --class/.test(e.message),
    );
    assert.throws(() => parsed(["--fetch-app", "a.ts", "--resource-script", "b.ts"]), /one of/);
    for (const argv of [["-i", "x.html"], ["-m", "text/plain"], ["--ignore-ext", ".php"]]) {
      assert.throws(() => parsed(argv), /needs --path/);
    }
    assert.throws(() => parsed(["--allow-ignore-ext"]), /--allow-ignore-ext needs --path/);
  });
});

describe("combinedLogFormatter and Site.log", () => {
  function served(
    site: Site,
    request: string,
    peer: Address = new IPv4Address("TCP", "10.1.2.3", 4000),
  ): StringTransport {
    const transport = new StringTransport({ peerAddress: peer });
    const channel = site.buildProtocol(peer)!;
    channel.makeConnection(transport);
    channel.dataReceived(new TextEncoder().encode(request));
    return transport;
  }

  it("writes Twisted's combined log line as each response finishes", () => {
    const clock = new MemoryReactorClock();
    clock.advance(1_700_000_000.75); // 2023-11-14T22:13:20Z
    const lines: string[] = [];
    const root = new Resource();
    root.putChild("", new Data("hello", "text/plain"));
    root.putChild("a b", new Data("hello", "text/plain"));
    const site = new Site(root, {
      clock,
      timeout: null,
      headerTimeout: null,
      requestTimeout: null,
      logFile: { write: (text) => void lines.push(text) },
    });
    assert.equal(site.logFormatter, combinedLogFormatter);
    const transport = served(
      site,
      'GET /a%20b?q="x" HTTP/1.1\r\nHost: h\r\nReferer: http://r/\'q\r\n' +
        "User-Agent: ag\\ent\ttab\xe9\r\n\r\n" +
        "HEAD / HTTP/1.1\r\nHost: h\r\n\r\n" +
        "GET /missing HTTP/1.0\r\n\r\n",
    );
    assert.equal(lines.length, 3);
    // é went out as UTF-8: its two bytes are escaped one by one, as Python's repr does.
    assert.equal(
      lines[0],
      `"10.1.2.3" - - [14/Nov/2023:22:13:20 +0000] "GET /a%20b?q=\\"x\\" HTTP/1.1" 200 5 ` +
        `"http://r/'q" "ag\\\\ent\\ttab\\xc3\\xa9"\n`,
    );
    assert.equal(
      lines[1],
      `"10.1.2.3" - - [14/Nov/2023:22:13:20 +0000] "HEAD / HTTP/1.1" 200 - "-" "-"\n`,
    );
    assert.match(
      lines[2],
      /^"10\.1\.2\.3" - - \[.*\] "GET \/missing HTTP\/1\.0" 404 \d+ "-" "-"\n$/,
    );
    transport.loseConnection();
  });

  it("writes - for a client without an IP address; nothing without a logFile", () => {
    const peer = new UNIXAddress("/tmp/web.sock");
    const timestamp = datetimeToLogString(0);
    assert.equal(timestamp, "[01/Jan/1970:00:00:00 +0000]");
    const lines: string[] = [];
    const site = new Site(new Data("", "text/plain"), {
      clock: new MemoryReactorClock(),
      timeout: null,
      headerTimeout: null,
      requestTimeout: null,
      logFile: { write: (text) => void lines.push(text) },
      logFormatter: (time: string, request: HTTPRequest) =>
        combinedLogFormatter(time, request).replace(time, "[T]"),
    });
    served(site, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", peer).loseConnection();
    assert.deepEqual(lines, [`"-" - - [T] "GET / HTTP/1.1" 200 - "-" "-"\n`]);
    const quiet = new Site(new Data("x", "text/plain"), {
      clock: new MemoryReactorClock(),
      timeout: null,
      headerTimeout: null,
      requestTimeout: null,
    });
    assert.equal(quiet.logFile, null);
    served(quiet, "GET / HTTP/1.1\r\nHost: h\r\n\r\n").loseConnection();
  });
});

// ---- the program ---------------------------------------------------------------

const CURL = "/usr/bin/curl";
const HAVE_CURL = existsSync(CURL);
// Under CI a missing curl fails the tests (.ci/run installs it); elsewhere they are skipped.
const CURL_SKIP = HAVE_CURL || process.env.CI === "true"
  ? false
  : `no ${CURL}: install Debian's curl package (apt-get install -y curl)`;

/** Runs curl to its end. */
function curl(args: string[]): Deferred<{ code: number; out: string; err: string }> {
  assert.ok(HAVE_CURL, `${CURL} is missing: install Debian's curl package`);
  return exec([CURL, "-sS", "--max-time", "10", ...args]);
}

/** GET (or another method) with our own client, no connection kept. */
async function fetchText(
  url: string,
  options: { method?: string; body?: string } = {},
): Promise<{ code: number; text: string; header: (name: string) => string | null }> {
  const response = await treq.request(options.method ?? "GET", url, {
    agent: new Agent(reactor),
    body: options.body,
    timeout: 10,
  });
  const text = await response.text();
  return { code: response.code, text, header: (name) => response.headers.getLast(name) };
}

/** A TCP port free a moment ago on 127.0.0.1. */
async function freePort(): Promise<number> {
  const factory = Factory.forProtocol(Protocol);
  factory.noisy = false;
  const port = await reactor.listenTCP(0, factory, { interface: "127.0.0.1" }).whenListening();
  const number = (port.getHost() as IPv4Address).port;
  await port.stopListening();
  return number;
}

interface LogLine {
  ip: string;
  time: Date;
  request: string;
  status: number;
  length: string;
  referer: string;
  agent: string;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const QUOTED = String.raw`"((?:[^"\\]|\\.)*)"`;
const COMBINED = new RegExp(
  `^${QUOTED} - - \\[(\\d{2})/([A-Z][a-z]{2})/(\\d{4}):(\\d{2}):(\\d{2}):(\\d{2}) \\+0000\\] ` +
    `${QUOTED} (\\d{3}) (\\d+|-) ${QUOTED} ${QUOTED}$`,
);

/** Parses one combined log format line field by field. */
function parseLogLine(line: string): LogLine {
  const m = COMBINED.exec(line);
  assert.ok(m, `a combined log line: ${JSON.stringify(line)}`);
  const [, ip, day, month, year, hh, mm, ss, request, status, length, referer, agent] = m;
  assert.ok(MONTHS.includes(month), month);
  const time = new Date(Date.UTC(+year, MONTHS.indexOf(month), +day, +hh, +mm, +ss));
  return { ip, time, request, status: Number(status), length, referer, agent };
}

/** Asserts `time` is within a minute of now. */
function recent(time: Date): void {
  assert.ok(Math.abs(time.getTime() - Date.now()) < 60_000, `${time.toISOString()} is now`);
}

/** The lines of `path` once it has `count` of them (10 s at most). */
async function linesOf(path: string, count: number): Promise<string[]> {
  for (let i = 0; i < 200; i++) {
    const text = existsSync(path) ? readFileSync(path, "utf8") : "";
    const lines = text.split("\n").filter((l) => l !== "");
    if (lines.length >= count) return lines;
    await new Promise<void>((resolve) => reactor.callLater(0.05, () => resolve()));
  }
  throw new Error(`${path} has fewer than ${count} lines`);
}

describe(`tw web on ${CURRENT}`, { timeout: 240_000 }, () => {
  it("--port N listens on N alone: nothing on 8080", { timeout: 60_000 }, async () => {
    const port = await freePort();
    const [program, transport] = start(CURRENT, [
      "web",
      "--port",
      String(port),
      "--interface",
      "127.0.0.1",
    ]);
    try {
      assert.equal(await program.port(), port);
      const page = await fetchText(`http://127.0.0.1:${port}/`);
      assert.equal(page.code, 200);
      assert.match(page.text, /It works/);
      await program.waitFor(/running on/);
      const listening = program.out.match(/listening on \S+/g);
      assert.deepEqual(listening, [`listening on 127.0.0.1:${port}`], program.out);
      await terminate(program, transport);
      assert.equal(program.exitCode, 0, program.err);
    } finally {
      await terminate(program, transport);
    }
  });

  it("serves --path with -i, -m, --ignore-ext and --add-header; -l writes the access log", {
    timeout: 60_000,
    skip: CURL_SKIP,
  }, async () => {
    const [dir, cleanup] = tempDir();
    const www = join(dir, "www");
    mkdirSync(join(www, "sub"), { recursive: true });
    writeFileSync(join(www, "home.htm"), "home page\n");
    writeFileSync(join(www, "index.html"), "not the first index\n");
    writeFileSync(join(www, "sub", "index.html"), "sub index\n");
    writeFileSync(join(www, "data.weird"), "unknown type\n");
    writeFileSync(join(www, "about.html"), "about page\n");
    const log = join(dir, "access.log");
    const [program, transport] = start(CURRENT, [
      "web",
      "--listen",
      LOCAL,
      "--path",
      www,
      "-i",
      "home.htm",
      "--index",
      "index.html",
      "-m",
      "text/x-weird",
      "--ignore-ext",
      ".html",
      "--add-header",
      "X-One: 1",
      "--add-header",
      "X-Two:  two words ",
      "-l",
      log,
    ]);
    try {
      const base = `http://127.0.0.1:${await program.port()}`;
      const home = await curl(["-i", "-A", "agent/1.0", "-e", "http://ref.example/p", `${base}/`]);
      assert.equal(home.code, 0, home.err);
      assert.match(home.out, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(home.out, /\r\nX-One: 1\r\n/);
      assert.match(home.out, /\r\nX-Two: two words\r\n/);
      assert.match(home.out, /\r\n\r\nhome page\n$/);
      const sub = await curl([`${base}/sub/`]);
      assert.equal(sub.out, "sub index\n");
      const weird = await curl(["-i", `${base}/data.weird`]);
      assert.match(weird.out, /\r\nContent-Type: text\/x-weird\r\n/i);
      const about = await curl([`${base}/about`]);
      assert.equal(about.out, "about page\n");
      const missing = await curl(["-i", "-A", 'say "hi"', `${base}/nope?x=1`]);
      assert.match(missing.out, /^HTTP\/1\.1 404 /);
      assert.match(missing.out, /\r\nX-One: 1\r\n/, "added to error pages too");
      const head = await curl(["-I", `${base}/about`]);
      assert.match(head.out, /^HTTP\/1\.1 200 /);

      const lines = (await linesOf(log, 6)).map(parseLogLine);
      assert.equal(lines.length, 6);
      for (const line of lines) {
        assert.equal(line.ip, "127.0.0.1");
        recent(line.time);
      }
      assert.deepEqual(lines.map((l) => [l.request, l.status, l.length]), [
        ["GET / HTTP/1.1", 200, "10"],
        ["GET /sub/ HTTP/1.1", 200, "10"],
        ["GET /data.weird HTTP/1.1", 200, "13"],
        ["GET /about HTTP/1.1", 200, "11"],
        ["GET /nope?x=1 HTTP/1.1", 404, lines[4].length],
        ["HEAD /about HTTP/1.1", 200, "-"],
      ]);
      assert.match(lines[4].length, /^\d+$/);
      assert.deepEqual([lines[0].referer, lines[0].agent], ["http://ref.example/p", "agent/1.0"]);
      assert.deepEqual([lines[4].referer, lines[4].agent], ["-", 'say \\"hi\\"']);
      assert.match(lines[1].agent, /^curl\//);
      assert.doesNotMatch(program.out, /GET \/ HTTP/, "the access log is not in the tw log");
      await terminate(program, transport);
      assert.equal(program.exitCode, 0, program.err);
    } finally {
      await terminate(program, transport);
      cleanup();
    }
  });

  it("--logfile - writes the access log to standard output", {
    timeout: 60_000,
    skip: CURL_SKIP,
  }, async () => {
    const [program, transport] = start(CURRENT, ["web", "--listen", LOCAL, "--logfile", "-"]);
    try {
      const base = `http://127.0.0.1:${await program.port()}`;
      const result = await curl(["-A", "stdout-test", "-e", "http://r/", `${base}/?via=stdout`]);
      assert.match(result.out, /It works/);
      const [, line] = await program.waitFor(/^(".*stdout-test")\n/m);
      const fields = parseLogLine(line);
      assert.equal(fields.ip, "127.0.0.1");
      recent(fields.time);
      assert.equal(fields.request, "GET /?via=stdout HTTP/1.1");
      assert.equal(fields.status, 200);
      assert.equal(fields.length, "131");
      assert.equal(fields.referer, "http://r/");
      assert.equal(fields.agent, "stdout-test");
      await terminate(program, transport);
      assert.equal(program.exitCode, 0, program.err);
    } finally {
      await terminate(program, transport);
    }
  });

  it("tw -n is accepted; without --logfile requests go to the tw log", {
    timeout: 60_000,
  }, async () => {
    const [program, transport] = start(CURRENT, ["-n", "web", "--listen", LOCAL]);
    try {
      const base = `http://127.0.0.1:${await program.port()}`;
      assert.equal((await fetchText(`${base}/x`)).code, 200);
      const [, line] = await program.waitFor(/\[tw\.web\.access#info\] (.*)\n/);
      const fields = parseLogLine(line);
      assert.deepEqual([fields.request, fields.status], ["GET /x HTTP/1.1", 200]);
      await terminate(program, transport);
      assert.equal(program.exitCode, 0, program.err);
    } finally {
      await terminate(program, transport);
    }
  });

  it("--display-tracebacks shows a failed render's stack; by default and with -n it is hidden", {
    timeout: 90_000,
  }, async () => {
    const broken = `${fixture("web_class.ts")}#Broken`;
    for (const [flags, shown] of [[["--display-tracebacks"], true], [[], false], [["-n"], false]]) {
      const [program, transport] = start(CURRENT, [
        "web",
        "--listen",
        LOCAL,
        "--class",
        broken,
        ...flags as string[],
      ]);
      try {
        const page = await fetchText(`http://127.0.0.1:${await program.port()}/`);
        assert.equal(page.code, 500);
        assert.match(page.text, /Internal Server Error/);
        if (shown) {
          assert.match(page.text, /broken on purpose in web_class\.ts/);
          assert.match(page.text, /web_class\.ts:\d+/, "the stack names the file");
        } else {
          assert.doesNotMatch(page.text, /broken on purpose/);
        }
        await program.waitFor(/Error rendering GET \//);
        await terminate(program, transport);
        assert.equal(program.exitCode, 0, program.err);
      } finally {
        await terminate(program, transport);
      }
    }
  });

  it("--class serves a Resource class, the default export or MODULE#NAME", {
    timeout: 60_000,
  }, async () => {
    for (const spec of [fixture("web_class.ts"), `./${fixture("web_class.ts")}#Hello`]) {
      const [program, transport] = start(CURRENT, ["web", "--listen", LOCAL, "--class", spec]);
      try {
        const page = await fetchText(`http://127.0.0.1:${await program.port()}/any/path`);
        assert.deepEqual([page.code, page.text], [200, "hello from --class\n"]);
        await terminate(program, transport);
        assert.equal(program.exitCode, 0, program.err);
      } finally {
        await terminate(program, transport);
      }
    }
  });

  it("--class refuses a missing export or a non-resource (exit 2)", async () => {
    const missing = await runToEnd(CURRENT, [
      "web",
      "--class",
      `${fixture("web_class.ts")}#Nope`,
    ]);
    assert.equal(missing.exitCode, 2);
    assert.match(missing.err, /^tw: Module tests\/cli\/fixtures\/web_class\.ts has no export Nope/);
    const wrong = await runToEnd(CURRENT, [
      "web",
      "--class",
      `${fixture("web_class.ts")}#NotAResource`,
    ]);
    assert.equal(wrong.exitCode, 2);
    assert.match(wrong.err, /does not make a Resource/);
    assert.equal(wrong.err.split("\n").length, 2, "one line");
  });

  it("--resource-script serves the module's `resource`", { timeout: 60_000 }, async () => {
    const [program, transport] = start(CURRENT, [
      "web",
      "--listen",
      LOCAL,
      "--resource-script",
      fixture("web_script.ts"),
    ]);
    try {
      const base = `http://127.0.0.1:${await program.port()}`;
      assert.equal((await fetchText(`${base}/script.txt`)).text, "from the resource script\n");
      assert.equal((await fetchText(`${base}/`)).text, "root of the resource script\n");
      await terminate(program, transport);
      assert.equal(program.exitCode, 0, program.err);
    } finally {
      await terminate(program, transport);
    }
  });

  it("--fetch-app mounts a fetch handler: the default export or MODULE#NAME", {
    timeout: 60_000,
  }, async () => {
    const [program, transport] = start(CURRENT, [
      "web",
      "--listen",
      LOCAL,
      "--fetch-app",
      fixture("web_fetch_app.ts"),
    ]);
    try {
      const page = await fetchText(`http://127.0.0.1:${await program.port()}/some/where`);
      assert.equal(page.code, 200);
      assert.deepEqual(JSON.parse(page.text), {
        app: "default",
        method: "GET",
        path: "/some/where",
      });
      await terminate(program, transport);
      assert.equal(program.exitCode, 0, program.err);
    } finally {
      await terminate(program, transport);
    }
    const [named, namedTransport] = start(CURRENT, [
      "web",
      "--listen",
      LOCAL,
      "--fetch-app",
      `${fixture("web_fetch_app.ts")}#echo`,
    ]);
    try {
      const url = `http://127.0.0.1:${await named.port()}/e?q=query`;
      const page = await fetchText(url, { method: "POST", body: "posted" });
      assert.deepEqual([page.code, page.text], [201, "echo query posted"]);
      assert.equal(page.header("x-fetch-app"), "echo");
      await terminate(named, namedTransport);
      assert.equal(named.exitCode, 0, named.err);
    } finally {
      await terminate(named, namedTransport);
    }
  });

  it("-y logs where the application's ports listen", { timeout: 60_000 }, async () => {
    const [program, transport] = start(CURRENT, ["-y", fixture("web_app.ts")]);
    try {
      const port = await program.port();
      assert.match(program.out, /\[tw#info\] Site listening on 127\.0\.0\.1:\d+\n/);
      assert.equal(
        (await fetchText(`http://127.0.0.1:${port}/`)).text,
        "from the -y application\n",
      );
      await terminate(program, transport);
      assert.equal(program.exitCode, 0, program.err);
    } finally {
      await terminate(program, transport);
    }
  });

  it("-y with a module that throws while loading logs its stack and fails (exit 1)", async () => {
    const program = await runToEnd(CURRENT, ["-y", fixture("throwing_app.ts")]);
    assert.equal(program.exitCode, 1);
    assert.equal(
      program.err,
      "tw: Cannot load application module tests/cli/fixtures/throwing_app.ts: " +
        "throwing_app.ts failed on purpose while loading\n",
    );
    assert.match(program.out, /Module tests\/cli\/fixtures\/throwing_app\.ts failed to load/);
    assert.match(program.out, /Error: throwing_app\.ts failed on purpose while loading/);
    assert.match(program.out, /at loadConfiguration \(.*throwing_app\.ts:\d+:\d+\)/);
    const missing = await runToEnd(CURRENT, ["-y", fixture("no_such_app.ts")]);
    assert.equal(missing.exitCode, 1);
    assert.doesNotMatch(missing.out, /failed to load/, "no stack for a missing module");
  });

  it("the README's line works: tw web --port P --path ./public", {
    timeout: 60_000,
  }, async () => {
    const port = await freePort();
    const [program, transport] = start(CURRENT, [
      "web",
      "--port",
      String(port),
      "--path",
      join(ROOT, "tests/cli/fixtures"),
    ]);
    try {
      const m = await program.waitFor(/listening on (\S+)/);
      assert.match(m[1], new RegExp(`:${port}$`));
      const page = await fetchText(`http://127.0.0.1:${port}/tw.json`);
      assert.equal(page.code, 200);
      assert.equal(page.text, readFileSync(join(ROOT, "tests/cli/fixtures/tw.json"), "utf8"));
      await terminate(program, transport);
      assert.equal(program.exitCode, 0, program.err);
    } finally {
      await terminate(program, transport);
    }
  });
});
