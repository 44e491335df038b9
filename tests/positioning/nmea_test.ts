// NMEA: sentences read from any chunking, checksums, the adapter's calls
// compared one by one with Twisted's NMEAAdapter (tests/positioning/nmea_peer.py
// under /usr/bin/python3), what we do beyond it (other talkers, void fixes,
// fractions of a second, skipped lines), and a property: any split of a
// stream gives the same calls, and any bytes give calls or skipped lines.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { StringTransport, trackLeaks } from "../../src/testing/mod.ts";
import {
  GPSDNMEAProtocol,
  NMEAAdapter,
  NMEAProtocol,
  type NMEASentence,
} from "../../src/positioning/mod.ts";
import {
  LOG,
  nmea,
  PEER,
  PYTHON,
  Recorder as CallRecorder,
  SKIP_NO_TWISTED as SKIP,
} from "./_nmea_recorder.ts";

trackLeaks({ beforeEach, afterEach });

const te = new TextEncoder();
/** Records calls as nmea_peer.py prints them, and the times as received. */
class Recorder extends CallRecorder {
  times: Date[] = [];
  override timeReceived(time: Date): void {
    this.times.push(time);
    super.timeReceived(time);
  }
}

function feed(text: string | Uint8Array, chunks: number[] = []): [Recorder, NMEAProtocol] {
  const recorder = new Recorder();
  const proto = new NMEAProtocol(new NMEAAdapter(recorder));
  const bytes = typeof text === "string" ? te.encode(text) : text;
  let at = 0;
  for (const size of chunks) {
    proto.dataReceived(bytes.subarray(at, at + size));
    at += size;
  }
  proto.dataReceived(bytes.subarray(at));
  return [recorder, proto];
}

describe("NMEAProtocol", () => {
  it("reads sentences split at every byte, with LF or CR LF endings", () => {
    const whole = feed(LOG)[0].calls;
    assert.ok(whole.length > 10);
    const bytewise = feed(LOG, Array(LOG.length).fill(1))[0].calls;
    assert.deepEqual(bytewise, whole);
    assert.deepEqual(feed(LOG.replaceAll("\r\n", "\n"))[0].calls, whole);
  });

  it("skips bad checksums, unknown and proprietary sentences, binary and over-long lines", () => {
    const good = nmea("GPHDT,274.07,T");
    const bad = good.replace("*", "*0").slice(0, -4) + "\r\n";
    const text = [
      good.replace("274.07", "275.07"),
      bad,
      nmea("GPZZZ,1,2"),
      nmea("PGRME,15.0,M,45.0,M,25.0,M"),
      "\x00\xff\x01garbage\r\n",
      "$" + "A".repeat(5000) + "\r\n",
      "no dollar*00\r\n",
      good,
    ].join("");
    const [recorder, proto] = feed(text);
    assert.deepEqual(recorder.calls, [["heading", 274.07, null]]);
    assert.equal(proto.skipped, 7);
  });

  it("hands each sentence to sentenceCallback with Twisted's field names", () => {
    const seen: NMEASentence[] = [];
    const proto = new NMEAProtocol(new NMEAAdapter(new Recorder()), {
      sentenceCallback: (s) => seen.push(s),
    });
    proto.dataReceived(
      te.encode(nmea("GNRMC,010203.25,A,4807.038,N,01131.000,E,1.0,2.0,010124,,")),
    );
    assert.equal(seen[0].type, "GNRMC");
    assert.equal(seen[0].get("latitudeFloat"), "4807.038");
    assert.equal(seen[0].get("magneticVariation"), null);
  });

  it("GPSDNMEAProtocol asks gpsd for NMEA and ignores its JSON", () => {
    const recorder = new Recorder();
    const proto = new GPSDNMEAProtocol(new NMEAAdapter(recorder));
    const transport = new StringTransport();
    proto.makeConnection(transport);
    assert.equal(
      new TextDecoder().decode(transport.value()),
      '?WATCH={"enable":true,"nmea":true};\n',
    );
    proto.dataReceived(te.encode('{"class":"VERSION","release":"3.22"}\r\n' + nmea("GPHDT,1.5,T")));
    assert.deepEqual(recorder.calls, [["heading", 1.5, null]]);
    assert.equal(proto.skipped, 0);
  });
});

describe("NMEAAdapter beyond Twisted", () => {
  it("takes any talker, and keeps the fraction of a second", () => {
    const [recorder] = feed(
      nmea("GNRMC,010203.25,A,4807.038,N,01131.000,E,1.0,2.0,010124,,") +
        nmea("GLGSV,1,1,01,70,40,083,46"),
    );
    assert.equal(recorder.times[0].toISOString(), "2024-01-01T01:02:03.250Z");
    assert.deepEqual(recorder.calls.at(-1), ["beaconInformation", [70], []]);
  });

  it("fires nothing for a void fix, and forgets the state", () => {
    const [recorder] = feed(
      nmea("GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,") +
        nmea("GPRMC,123520,V,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W") +
        nmea("GPHDT,10.5,T"),
    );
    const names = recorder.calls.map((c) => c[0]);
    assert.deepEqual(names, ["position", "positionError", "altitude", "heading"]);
  });

  it("skips a sentence whose fields do not parse, keeping what it knew", () => {
    const [recorder] = feed(
      nmea("GPHDT,10.5,T") + nmea("GPGGA,1235,99999.0,N,01131.000,E,1,08,0.9,x,M,,,,") +
        nmea("GPHDT,11.5,T"),
    );
    assert.deepEqual(recorder.calls, [["heading", 10.5, null], ["heading", 11.5, null]]);
  });
});

describe("NMEAAdapter against Twisted's", { skip: SKIP }, () => {
  it("makes the same calls as Twisted 22.4 for a whole log", () => {
    const run = spawnSync(PYTHON, [PEER], { input: LOG, encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    const twisted = run.stdout.trim().split("\n").map((line) => JSON.parse(line));
    assert.ok(twisted.length >= 15, run.stdout);
    assert.deepEqual(feed(LOG)[0].calls, twisted);
  });
});

describe("NMEA properties", () => {
  it("any split of a stream gives the same calls", () => {
    const whole = feed(LOG)[0].calls;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 60 }), (chunks) => {
        assert.deepEqual(feed(LOG, chunks)[0].calls, whole);
      }),
      { numRuns: 200 },
    );
  });

  it("any bytes give calls or skipped lines, never a throw", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ maxLength: 120 }),
            fc.constantFrom(...LOG.split("\r\n").map((l) => te.encode(l + "\r\n"))),
            fc.string({ maxLength: 80 }).map((s) => te.encode(nmea(`GPGGA,${s}`))),
          ),
          { maxLength: 20 },
        ),
        (parts) => {
          const total = parts.reduce((n, p) => n + p.length, 0);
          const bytes = new Uint8Array(total);
          let at = 0;
          for (const p of parts) {
            bytes.set(p, at);
            at += p.length;
          }
          feed(bytes);
        },
      ),
      { numRuns: 300 },
    );
  });
});
