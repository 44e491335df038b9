// NMEA: sentences read from any chunking, checksums, the adapter's calls
// compared one by one with Twisted's NMEAAdapter (tests/positioning/nmea_peer.py
// under /usr/bin/python3), what we do beyond it (other talkers, void fixes,
// fractions of a second, skipped lines), and a property: any split of a
// stream gives the same calls, and any bytes give calls or skipped lines.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { StringTransport, trackLeaks } from "../../src/testing/mod.ts";
import {
  type Altitude,
  BasePositioningReceiver,
  type BeaconInformation,
  type Climb,
  type Coordinate,
  GPSDNMEAProtocol,
  type Heading,
  NMEAAdapter,
  NMEAProtocol,
  type NMEASentence,
  type PositionError,
  type Speed,
} from "../../src/positioning/mod.ts";

trackLeaks({ beforeEach, afterEach });

const te = new TextEncoder();
const PYTHON = "/usr/bin/python3";
const PEER = fileURLToPath(new URL("nmea_peer.py", import.meta.url));
const HAVE_TWISTED =
  spawnSync(PYTHON, ["-c", "import twisted.positioning.nmea"], { stdio: "ignore" }).status === 0;
const SKIP = HAVE_TWISTED || process.env.CI === "true"
  ? false
  : "no Twisted for /usr/bin/python3: install Debian's python3-twisted package";

/** A sentence with its checksum and CR LF. */
function nmea(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum ^= body.charCodeAt(i);
  return `$${body}*${sum.toString(16).toUpperCase().padStart(2, "0")}\r\n`;
}

const r = (x: number | null | undefined, digits = 6): number | null =>
  x == null ? null : Math.round(x * 10 ** digits) / 10 ** digits;

/** Records calls as nmea_peer.py prints them. */
class Recorder extends BasePositioningReceiver {
  calls: unknown[][] = [];
  times: Date[] = [];
  override positionReceived(latitude: Coordinate, longitude: Coordinate): void {
    this.calls.push(["position", r(latitude.inDecimalDegrees), r(longitude.inDecimalDegrees)]);
  }
  override positionErrorReceived(e: PositionError): void {
    this.calls.push(["positionError", r(e.pdop, 4), r(e.hdop, 4), r(e.vdop, 4)]);
  }
  override timeReceived(time: Date): void {
    this.times.push(time);
    this.calls.push(["time", time.toISOString().slice(0, 19)]);
  }
  override headingReceived(heading: Heading): void {
    this.calls.push([
      "heading",
      r(heading.inDecimalDegrees),
      heading.variation === null ? null : r(heading.variation.inDecimalDegrees),
    ]);
  }
  override altitudeReceived(altitude: Altitude): void {
    this.calls.push(["altitude", r(altitude.inMeters)]);
  }
  override speedReceived(speed: Speed): void {
    this.calls.push(["speed", r(speed.inMetersPerSecond)]);
  }
  override climbReceived(climb: Climb): void {
    this.calls.push(["climb", r(climb.inMetersPerSecond)]);
  }
  override beaconInformationReceived(info: BeaconInformation): void {
    const ids = (s: Iterable<{ identifier: number }>) =>
      [...s].map((b) => b.identifier).sort((a, b) => a - b);
    this.calls.push(["beaconInformation", ids(info.seenBeacons), ids(info.usedBeacons)]);
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

// A drive as a GPS reports it: fixes, satellites over three GSV sentences,
// magnetic variation, heading, a second pass with new values.
const LOG = [
  "GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,",
  "GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W",
  "GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1",
  "GPGSV,3,1,11,03,03,111,00,04,15,270,00,06,01,010,00,13,06,292,00",
  "GPGSV,3,2,11,14,25,170,00,16,57,208,39,18,67,296,40,19,40,246,00",
  "GPGSV,3,3,11,22,42,067,42,24,14,311,43,27,05,244,00,,,,",
  "GPGLL,4916.45,N,12311.12,W,225444,A",
  "GPHDT,274.07,T",
  "GPGGA,225445,4916.46,N,12311.13,W,1,09,1.1,12.5,M,-17.0,M,,",
  "GPRMC,225446,A,4916.45,N,12311.12,W,000.5,054.7,191194,020.3,E",
  "GPGSV,1,1,02,05,40,083,46,09,10,300,30",
  "GPHDT,10.5,T",
].map(nmea).join("");

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
