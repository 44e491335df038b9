// Receiver calls recorded as tests/positioning/nmea_peer.py prints them (Twisted's
// NMEAAdapter), for the source tests: a log, the calls, and the peer to compare with.
import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  type Altitude,
  BasePositioningReceiver,
  type BeaconInformation,
  type Climb,
  type Coordinate,
  type Heading,
  type PositionError,
  type Speed,
} from "../../src/positioning/mod.ts";

export const PYTHON = "/usr/bin/python3";
export const PEER = fileURLToPath(new URL("nmea_peer.py", import.meta.url));
const HAVE_TWISTED =
  spawnSync(PYTHON, ["-c", "import twisted.positioning.nmea"], { stdio: "ignore" }).status === 0;
/** `skip` for tests that need Twisted: false when present or on CI (where they must fail). */
export const SKIP_NO_TWISTED = HAVE_TWISTED || process.env.CI === "true"
  ? false
  : "no Twisted for /usr/bin/python3: install Debian's python3-twisted package";

/** A sentence with its checksum and CR LF. */
export function nmea(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum ^= body.charCodeAt(i);
  return `$${body}*${sum.toString(16).toUpperCase().padStart(2, "0")}\r\n`;
}

const r = (x: number | null | undefined, digits = 6): number | null =>
  x == null ? null : Math.round(x * 10 ** digits) / 10 ** digits;

/** Passes each call, as nmea_peer.py prints it, to `emit` as one JSON text. */
export class JsonRecorder extends BasePositioningReceiver {
  #emit: (line: string) => void;
  constructor(emit: (line: string) => void) {
    super();
    this.#emit = emit;
  }
  #call(...call: unknown[]): void {
    this.#emit(JSON.stringify(call));
  }
  override positionReceived(latitude: Coordinate, longitude: Coordinate): void {
    this.#call("position", r(latitude.inDecimalDegrees), r(longitude.inDecimalDegrees));
  }
  override positionErrorReceived(e: PositionError): void {
    this.#call("positionError", r(e.pdop, 4), r(e.hdop, 4), r(e.vdop, 4));
  }
  override timeReceived(time: Date): void {
    this.#call("time", time.toISOString().slice(0, 19));
  }
  override headingReceived(heading: Heading): void {
    this.#call(
      "heading",
      r(heading.inDecimalDegrees),
      heading.variation === null ? null : r(heading.variation.inDecimalDegrees),
    );
  }
  override altitudeReceived(altitude: Altitude): void {
    this.#call("altitude", r(altitude.inMeters));
  }
  override speedReceived(speed: Speed): void {
    this.#call("speed", r(speed.inMetersPerSecond));
  }
  override climbReceived(climb: Climb): void {
    this.#call("climb", r(climb.inMetersPerSecond));
  }
  override beaconInformationReceived(info: BeaconInformation): void {
    const ids = (s: Iterable<{ identifier: number }>) =>
      [...s].map((b) => b.identifier).sort((a, b) => a - b);
    this.#call("beaconInformation", ids(info.seenBeacons), ids(info.usedBeacons));
  }
}

/** Records calls as arrays (the JSON lines parsed). */
export class Recorder extends JsonRecorder {
  calls: unknown[][] = [];
  constructor() {
    super((line) => this.calls.push(JSON.parse(line)));
  }
}

/** Twisted's calls for `log` (nmea_peer.py on its stdin). */
export function twistedCalls(log: string): unknown[][] {
  const run = spawnSync(PYTHON, [PEER], { input: log, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`nmea_peer.py failed: ${run.stderr}`);
  return run.stdout.trim().split("\n").filter((l) => l).map((line) => JSON.parse(line));
}

// A drive as a GPS reports it (as nmea_test.ts): fixes, satellites over three GSV
// sentences, magnetic variation, heading, a second pass with new values.
export const LOG: string = [
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
