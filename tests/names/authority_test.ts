// The authorities (twisted.names.authority) through the resolver API: what an
// authoritative server answers (RFC 1034 s4.3.2, RFC 2308, RFC 4592, RFC 6672,
// as nsd does), the checks made when a zone loads, and BindAuthority's
// loading (files, $INCLUDE, errors naming file and line, reload).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  BindAuthority,
  FileAuthority,
  ModuleAuthority,
  ZoneFileError,
  type ZoneItem,
} from "../../src/names/authority.ts";
import {
  A,
  AAAA,
  ALL_RECORDS,
  AuthoritativeDomainError,
  CH,
  CNAME,
  DNAME,
  DomainError,
  type LookupResult,
  MX,
  NS,
  Query,
  Record_A,
  Record_AAAA,
  Record_CNAME,
  Record_MX,
  Record_NS,
  Record_SOA,
  Record_TXT,
  type RRHeader,
  SOA,
  SRV,
  TXT,
} from "../../src/names/mod.ts";

const ZONE = `$ORIGIN example.com.
$TTL 3600
@        IN SOA ns1 hostmaster ( 2026120601 7200 3600 1209600 300 )
         IN NS  ns1
         IN NS  ns2.example.net.
         IN MX  10 mail
         IN A   192.0.2.1
ns1      IN A   192.0.2.53
         IN AAAA 2001:db8::53
mail     IN A   192.0.2.25
www      IN CNAME web
web   60 IN A   192.0.2.80
alias    IN CNAME www
ext      IN CNAME www.example.org.
loop1    IN CNAME loop2
loop2    IN CNAME loop1
gone     IN CNAME nothere
*.wild   IN A   192.0.2.99
*.wild   IN TXT "wild"
exists.wild IN MX 5 mail
a.b.c    IN A   192.0.2.3
sub      IN NS  ns.sub
sub      IN NS  ns.elsewhere.org.
ns.sub   IN A   192.0.2.54
_sip._tcp IN SRV 0 5 5060 web
dn       IN DNAME example.net.
dn2      IN DNAME other
x.other  IN A   192.0.2.7
*.wc     IN CNAME web
`;

function zone(): BindAuthority {
  return new BindAuthority("example.com.zone", { text: ZONE });
}

/** The sections as master-file lines, each with " aa" when authoritative. */
function lines([answers, authority, additional]: LookupResult): string[][] {
  const show = (rr: RRHeader) => `${rr}${rr.auth ? " aa" : ""}`;
  return [answers.map(show), authority.map(show), additional.map(show)];
}

async function ask(authority: FileAuthority, name: string, type: number): Promise<string[][]> {
  return lines(await authority.query(new Query(name, type)));
}

async function failure(authority: FileAuthority, name: string, type: number): Promise<Error> {
  try {
    await authority.query(new Query(name, type));
  } catch (error) {
    return error as Error;
  }
  throw new Error(`${name} answered`);
}

const SOA_NEG = "example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. " +
  "2026120601 7200 3600 1209600 300 aa";

describe("FileAuthority answers", () => {
  it("gives records of the type asked, authoritative, with their TTL", async () => {
    assert.deepEqual(await ask(zone(), "web.example.com", A), [
      ["web.example.com. 60 IN A 192.0.2.80 aa"],
      [],
      [],
    ]);
  });

  it("NXDOMAIN fails with AuthoritativeDomainError carrying the SOA at min(TTL, minimum)", async () => {
    const error = await failure(zone(), "nothere.example.com", A);
    assert.ok(error instanceof AuthoritativeDomainError);
    assert.deepEqual(error.authority.map((rr) => `${rr} aa`), [SOA_NEG]);
    assert.deepEqual(error.answers, []);
  });

  it("NODATA succeeds with no answers and the SOA in authority", async () => {
    assert.deepEqual(await ask(zone(), "mail.example.com", MX), [[], [SOA_NEG], []]);
  });

  it("an empty non-terminal is NODATA, not NXDOMAIN", async () => {
    assert.deepEqual(await ask(zone(), "c.example.com", A), [[], [SOA_NEG], []]);
    assert.deepEqual(await ask(zone(), "b.c.example.com", TXT), [[], [SOA_NEG], []]);
    assert.ok(await failure(zone(), "x.c.example.com", A) instanceof AuthoritativeDomainError);
  });

  it("wildcards answer for names below that do not exist, owned by the name asked", async () => {
    assert.deepEqual(await ask(zone(), "foo.wild.example.com", A), [
      ["foo.wild.example.com. 3600 IN A 192.0.2.99 aa"],
      [],
      [],
    ]);
    assert.deepEqual((await ask(zone(), "a.b.wild.example.com", TXT))[0], [
      'a.b.wild.example.com. 3600 IN TXT "wild" aa',
    ]);
    // A wildcard with no data of the type asked is NODATA.
    assert.deepEqual(await ask(zone(), "foo.wild.example.com", MX), [[], [SOA_NEG], []]);
  });

  it("a name that exists hides the wildcard: NODATA, and no wildcard below it", async () => {
    assert.deepEqual(await ask(zone(), "exists.wild.example.com", A), [[], [SOA_NEG], []]);
    const below = await failure(zone(), "x.exists.wild.example.com", A);
    assert.ok(below instanceof AuthoritativeDomainError);
  });

  it("a wildcard that is an empty non-terminal gives NODATA (RFC 4592 s2.2.2)", async () => {
    const authority = new FileAuthority([
      ["example.com", new Record_SOA({ mname: "ns1.example.com", minimum: 60 })],
      ["a.*.example.com", new Record_A("192.0.2.1")],
    ]);
    const [answers, soa] = await authority.lookupAddress("anything.example.com");
    assert.deepEqual([answers.length, soa[0].type], [0, SOA]);
  });

  it("a wildcard CNAME is synthesized and followed", async () => {
    assert.deepEqual((await ask(zone(), "a.wc.example.com", A))[0], [
      "a.wc.example.com. 3600 IN CNAME web.example.com. aa",
      "web.example.com. 60 IN A 192.0.2.80 aa",
    ]);
  });

  it("below a delegation: a referral, no AA, the NS set in authority and glue in additional", async () => {
    const referral = [
      [],
      [
        "sub.example.com. 3600 IN NS ns.sub.example.com.",
        "sub.example.com. 3600 IN NS ns.elsewhere.org.",
      ],
      ["ns.sub.example.com. 3600 IN A 192.0.2.54"],
    ];
    assert.deepEqual(await ask(zone(), "sub.example.com", A), referral);
    assert.deepEqual(await ask(zone(), "x.y.sub.example.com", MX), referral);
    assert.deepEqual(await ask(zone(), "sub.example.com", NS), referral);
    assert.deepEqual(await ask(zone(), "ns.sub.example.com", A), referral);
  });

  it("DS at a delegation is answered from the parent side", async () => {
    assert.deepEqual(await ask(zone(), "sub.example.com", 43), [[], [SOA_NEG], []]);
  });

  it("the NS set at the apex is an answer, with the addresses of in-zone servers", async () => {
    assert.deepEqual(await ask(zone(), "example.com", NS), [
      [
        "example.com. 3600 IN NS ns1.example.com. aa",
        "example.com. 3600 IN NS ns2.example.net. aa",
      ],
      [],
      ["ns1.example.com. 3600 IN A 192.0.2.53 aa", "ns1.example.com. 3600 IN AAAA 2001:db8::53 aa"],
    ]);
  });

  it("adds the addresses of MX and SRV targets in the zone", async () => {
    assert.deepEqual((await ask(zone(), "example.com", MX))[2], [
      "mail.example.com. 3600 IN A 192.0.2.25 aa",
    ]);
    assert.deepEqual((await ask(zone(), "_sip._tcp.example.com", SRV))[2], [
      "web.example.com. 60 IN A 192.0.2.80 aa",
    ]);
  });

  it("follows a CNAME chain inside the zone", async () => {
    assert.deepEqual(await ask(zone(), "alias.example.com", A), [
      [
        "alias.example.com. 3600 IN CNAME www.example.com. aa",
        "www.example.com. 3600 IN CNAME web.example.com. aa",
        "web.example.com. 60 IN A 192.0.2.80 aa",
      ],
      [],
      [],
    ]);
  });

  it("a CNAME chain ending in NODATA carries the SOA", async () => {
    const [answers, authority] = await ask(zone(), "alias.example.com", MX);
    assert.equal(answers.length, 2);
    assert.deepEqual(authority, [SOA_NEG]);
  });

  it("a CNAME to a missing name is NXDOMAIN with the CNAME in answers (RFC 6604)", async () => {
    const error = await failure(zone(), "gone.example.com", A) as AuthoritativeDomainError;
    assert.ok(error instanceof AuthoritativeDomainError);
    assert.deepEqual(error.answers.map(String), [
      "gone.example.com. 3600 IN CNAME nothere.example.com.",
    ]);
    assert.deepEqual(error.authority.map((rr) => `${rr} aa`), [SOA_NEG]);
  });

  it("stops at a CNAME leaving the zone, and at a loop", async () => {
    assert.deepEqual((await ask(zone(), "ext.example.com", A))[0], [
      "ext.example.com. 3600 IN CNAME www.example.org. aa",
    ]);
    assert.deepEqual((await ask(zone(), "loop1.example.com", A))[0], [
      "loop1.example.com. 3600 IN CNAME loop2.example.com. aa",
      "loop2.example.com. 3600 IN CNAME loop1.example.com. aa",
    ]);
  });

  it("a CNAME query gets the CNAME alone", async () => {
    assert.deepEqual(await ask(zone(), "www.example.com", CNAME), [
      ["www.example.com. 3600 IN CNAME web.example.com. aa"],
      [],
      [],
    ]);
  });

  it("DNAME synthesizes a CNAME (RFC 6672) and follows it inside the zone", async () => {
    assert.deepEqual((await ask(zone(), "foo.dn.example.com", A))[0], [
      "dn.example.com. 3600 IN DNAME example.net. aa",
      "foo.dn.example.com. 3600 IN CNAME foo.example.net. aa",
    ]);
    assert.deepEqual((await ask(zone(), "x.dn2.example.com", A))[0], [
      "dn2.example.com. 3600 IN DNAME other.example.com. aa",
      "x.dn2.example.com. 3600 IN CNAME x.other.example.com. aa",
      "x.other.example.com. 3600 IN A 192.0.2.7 aa",
    ]);
    const missing = await failure(zone(), "y.dn2.example.com", A) as AuthoritativeDomainError;
    assert.equal(missing.answers.length, 2);
    // The DNAME's own name is not redirected.
    assert.deepEqual((await ask(zone(), "dn.example.com", DNAME))[0], [
      "dn.example.com. 3600 IN DNAME example.net. aa",
    ]);
    assert.deepEqual(await ask(zone(), "dn.example.com", A), [[], [SOA_NEG], []]);
  });

  it("ANY gives every record at the name", async () => {
    const [answers, , additional] = await ask(zone(), "example.com", ALL_RECORDS);
    assert.deepEqual(answers.map((line) => line.split(" ")[3]), ["SOA", "NS", "NS", "MX", "A"]);
    assert.ok(additional.includes("mail.example.com. 3600 IN A 192.0.2.25 aa"));
  });

  it("matches names in any case and answers with the name as asked", async () => {
    assert.deepEqual((await ask(zone(), "WEB.Example.COM", A))[0], [
      "WEB.Example.COM. 60 IN A 192.0.2.80 aa",
    ]);
  });

  it("fails with a plain DomainError for names and classes it does not hold", async () => {
    for (const [name, cls] of [["example.org", 1], ["com", 1], ["www.example.com", CH]] as const) {
      const error = await zone().query(new Query(name, A, cls)).then(() => null, (e) => e);
      assert.ok(error instanceof DomainError, name);
      assert.ok(!(error instanceof AuthoritativeDomainError));
    }
  });

  it("lookupZone gives the SOA, every record, and the SOA again", async () => {
    const [records] = await zone().lookupZone("example.com");
    assert.equal(records[0].type, SOA);
    assert.equal(records.at(-1)!.type, SOA);
    assert.equal(records.length, 28);
    assert.ok(records.some((rr) => String(rr) === "ns.sub.example.com. 3600 IN A 192.0.2.54"));
    const below = await zone().lookupZone("www.example.com").then(() => null, (e) => e);
    assert.ok(below instanceof DomainError);
  });
});

describe("FileAuthority built in code", () => {
  const soa = new Record_SOA({ mname: "ns1.example.com", minimum: 120, ttl: 600 });

  it("gives records without a TTL the SOA minimum, or the defaultTTL option", async () => {
    const items: ZoneItem[] = [["example.com", soa], [
      "www.example.com",
      new Record_A("192.0.2.1"),
    ]];
    const [answers] = await new FileAuthority(items).lookupAddress("www.example.com");
    assert.equal(answers[0].ttl, 120);
    const set = await new FileAuthority(items, { defaultTTL: 30 }).lookupAddress("www.example.com");
    assert.equal(set[0][0].ttl, 30);
  });

  it("exposes soa and records by lower-cased name, as Twisted's", () => {
    const authority = new FileAuthority([
      ["Example.COM", soa],
      ["WWW.example.com", new Record_A("192.0.2.1")],
      ["www.example.com", new Record_AAAA("2001:db8::1")],
    ]);
    assert.deepEqual(authority.soa, ["Example.COM", soa]);
    assert.deepEqual([...authority.records.keys()], ["example.com", "www.example.com"]);
    assert.equal(authority.records.get("www.example.com")!.length, 2);
    assert.equal(new FileAuthority().soa, null);
  });

  it("refuses records outside the zone, naming the record", () => {
    assert.throws(
      () =>
        new FileAuthority([["example.com", soa], ["www.example.org", new Record_A("192.0.2.1")]]),
      (e: Error) =>
        e instanceof RangeError &&
        /zone item 1: The record www\.example\.org\. A 192\.0\.2\.1 is outside the zone example\.com\./
          .test(e.message),
    );
  });

  it("refuses a zone without an SOA, with two, and a CNAME beside other data", () => {
    assert.throws(() => new FileAuthority([["example.com", new Record_NS("ns")]]), /no SOA/);
    assert.throws(
      () => new FileAuthority([["example.com", soa], ["a.example.com", soa]]),
      /second SOA/,
    );
    assert.throws(
      () =>
        new FileAuthority([
          ["example.com", soa],
          ["www.example.com", new Record_A("192.0.2.1")],
          ["www.example.com", new Record_CNAME("web.example.com")],
        ]),
      /CNAME and other data at www\.example\.com\./,
    );
    assert.throws(
      () => new FileAuthority([["example.com", soa], ["x.example.com", "nope" as never]]),
      TypeError,
    );
  });

  it("keeps identical records once", async () => {
    const authority = new FileAuthority([
      ["example.com", soa],
      ["example.com", new Record_MX(10, "mx.example.com")],
      ["example.com", new Record_MX(10, "mx.example.com")],
    ]);
    assert.equal((await authority.lookupMailExchange("example.com"))[0].length, 1);
  });
});

describe("ModuleAuthority", () => {
  it("loads the zone a module exports", async () => {
    const module = {
      zone: [
        ["example.com", new Record_SOA({ mname: "ns1.example.com" })],
        ["example.com", new Record_TXT(["v=spf1 -all"])],
      ] satisfies ZoneItem[],
    };
    const authority = new ModuleAuthority(module, { name: "zones/example.ts" });
    const [answers] = await authority.lookupText("example.com");
    assert.equal(String(answers[0]), 'example.com. 0 IN TXT "v=spf1 -all"');
  });

  it("fails to load a module without zone, or with a bad record, naming the module", () => {
    assert.throws(() => new ModuleAuthority({}, { name: "z.ts" }), /No zone defined in z\.ts/);
    assert.throws(
      () =>
        new ModuleAuthority({
          zone: [["example.com", new Record_SOA()], ["other.org", new Record_A("192.0.2.1")]],
        }, { name: "z.ts" }),
      /^RangeError: z\.ts: zone item 1: The record other\.org\. A/,
    );
  });
});

function fakeFiles(files: Record<string, string>) {
  const reads: string[] = [];
  const runtime = {
    readFile(path: string): Promise<Uint8Array> {
      reads.push(path);
      if (!(path in files)) {
        return Promise.reject(Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" }));
      }
      return Promise.resolve(new TextEncoder().encode(files[path]));
    },
  };
  return { reactor: { runtime }, reads };
}

describe("BindAuthority", () => {
  const SIMPLE = "$TTL 300\n@ SOA ns1 host 1 2 3 4 5\nwww A 192.0.2.1\n";

  it("takes the origin from the file name, less .zone or .db (Twisted: the base name)", async () => {
    const { reactor } = fakeFiles({ "/z/example.com.zone": SIMPLE, "/z/example.org": SIMPLE });
    const a = await BindAuthority.load("/z/example.com.zone", { reactor });
    assert.deepEqual(a.soa?.[0], "example.com");
    const b = await BindAuthority.load("/z/example.org", { reactor });
    assert.deepEqual(b.soa?.[0], "example.org");
    const c = await BindAuthority.load("/z/example.org", { reactor, origin: "example.net" });
    assert.deepEqual(c.soa?.[0], "example.net");
  });

  it("reads $INCLUDEd files, relative to the including file", async () => {
    const { reactor, reads } = fakeFiles({
      "/z/db.example": "$ORIGIN example.com.\n$TTL 300\n@ SOA ns1 host 1 2 3 4 5\n" +
        "$INCLUDE hosts/db.hosts\n$INCLUDE /abs/db.mail mail\n",
      "/z/hosts/db.hosts": "www A 192.0.2.1\n$INCLUDE more\n",
      "/z/hosts/more": "ftp A 192.0.2.2\n",
      "/abs/db.mail": "@ A 192.0.2.25\n",
    });
    const authority = await BindAuthority.load("/z/db.example", { reactor });
    assert.deepEqual(reads, [
      "/z/db.example",
      "/z/hosts/db.hosts",
      "/z/hosts/more",
      "/abs/db.mail",
    ]);
    for (
      const [name, address] of [["www", "192.0.2.1"], ["ftp", "192.0.2.2"], ["mail", "192.0.2.25"]]
    ) {
      const [answers] = await authority.lookupAddress(`${name}.example.com`);
      assert.equal(String(answers[0]), `${name}.example.com. 300 IN A ${address}`);
    }
  });

  it("fails to load with the file's name, and the line for errors inside", async () => {
    const { reactor } = fakeFiles({
      "/z/bad": "$TTL 300\n@ SOA ns1 host 1 2 3 4 5\nwww A 999.0.0.1\n",
      "/z/outside": "$TTL 300\n@ SOA ns1 host 1 2 3 4 5\n\nwww.example.org. A 192.0.2.1\n",
      "/z/noinclude": "$TTL 300\n@ SOA ns1 host 1 2 3 4 5\n$INCLUDE missing\n",
      "/z/nosoa": "$TTL 300\nwww A 192.0.2.1\n",
    });
    const reason = (file: string) =>
      BindAuthority.load(file, { reactor }).then(() => null, (e) => e);
    const missing = await reason("/z/none.zone");
    assert.match(
      missing.message,
      /^Cannot read zone file \/z\/none\.zone: no such file or directory$/,
    );
    const bad = await reason("/z/bad");
    assert.ok(bad instanceof ZoneFileError);
    assert.deepEqual([bad.file, bad.line], ["/z/bad", 3]);
    const outside = await reason("/z/outside");
    assert.ok(outside instanceof ZoneFileError);
    assert.deepEqual([outside.file, outside.line], ["/z/outside", 4]);
    assert.match(
      outside.message,
      /:4: The record www\.example\.org\. A 192\.0\.2\.1 is outside the zone outside\.$/,
    );
    const include = await reason("/z/noinclude");
    assert.ok(include instanceof ZoneFileError);
    assert.match(
      include.message,
      /^\/z\/noinclude:3: Cannot include missing: no such file or directory/,
    );
    assert.match((await reason("/z/nosoa")).message, /^\/z\/nosoa: The zone has no SOA record$/);
  });

  it("answers lookups made before it has loaded once it has", async () => {
    const { reactor } = fakeFiles({ "/z/example.com": SIMPLE });
    const authority = new BindAuthority("/z/example.com", { reactor });
    assert.equal(authority.soa, null);
    const [answers] = await authority.lookupAddress("www.example.com");
    assert.equal(String(answers[0]), "www.example.com. 300 IN A 192.0.2.1");
  });

  it("reload() installs the new zone, and keeps the old one when the new one is bad", async () => {
    const files = { "/z/example.com": SIMPLE };
    const { reactor } = fakeFiles(files);
    const authority = await BindAuthority.load("/z/example.com", { reactor });
    files["/z/example.com"] = SIMPLE.replace("192.0.2.1", "192.0.2.2");
    await authority.reload();
    assert.equal(
      String((await authority.lookupAddress("www.example.com"))[0][0].payload?.toText()),
      "192.0.2.2",
    );
    files["/z/example.com"] = "@ SOA broken\n";
    await assert.rejects(authority.reload().asPromise(), ZoneFileError);
    assert.equal(
      String((await authority.lookupAddress("www.example.com"))[0][0].payload?.toText()),
      "192.0.2.2",
    );
  });

  it("parses the text option at once, and throws ZoneFileError for a bad one", () => {
    assert.equal(zone().soa?.[0], "example.com");
    assert.throws(() => new BindAuthority("db.x", { text: "@ SOA\n", origin: "x" }), ZoneFileError);
    assert.throws(
      () =>
        new BindAuthority("db.x", {
          text: "$TTL 1\n@ SOA a b 1 2 3 4 5\n@ CH TXT hi\n",
          origin: "x",
        }),
      /db\.x:3: Class CH is not served/,
    );
  });

  it("lets $INCLUDE use the includes option with text", async () => {
    const authority = new BindAuthority("/z/db", {
      text: "$ORIGIN example.com.\n$TTL 5\n@ SOA a b 1 2 3 4 5\n$INCLUDE part\n",
      includes: { "/z/part": "www AAAA 2001:db8::1\n" },
    });
    const [answers] = await authority.lookupIPV6Address("www.example.com");
    assert.equal(answers[0].type, AAAA);
  });
});
