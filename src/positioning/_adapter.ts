/**
 * `NMEAAdapter` (`twisted.positioning.nmea.NMEAAdapter`): NMEA sentences
 * to positioning calls, with Twisted's state rules.
 * Private: re-exported by `mod.ts`.
 * @module
 */
import { Logger } from "../logger/mod.ts";
import {
  Altitude,
  Angle,
  Angles,
  BeaconInformation,
  Coordinate,
  Heading,
  type IPositioningReceiver,
  METERS_PER_FOOT,
  MPS_PER_KNOT,
  PositionError,
  Satellite,
  Speed,
} from "./_base.ts";
import type { INMEAReceiver, NMEASentence } from "./_nmea.ts";

const log = new Logger("tw.positioning.nmea");

type Time = { hours: number; minutes: number; seconds: number; ms: number };
type DateOnly = { year: number; month: number; day: number };

function num(text: string | null): number {
  const value = Number(text);
  if (text === null || text.trim() === "" || !Number.isFinite(value)) {
    throw new RangeError(`not a number: ${text}`);
  }
  return value;
}

// The receiver's methods in the interface's order, with the state each needs.
const CALLBACKS: [keyof IPositioningReceiver, string[]][] = [
  ["positionReceived", ["latitude", "longitude"]],
  ["positionErrorReceived", ["positionError"]],
  ["timeReceived", ["time"]],
  ["headingReceived", ["heading"]],
  ["altitudeReceived", ["altitude"]],
  ["speedReceived", ["speed"]],
  ["climbReceived", ["climb"]],
  ["beaconInformationReceived", ["beaconInformation"]],
];

/**
 * Turns NMEA sentences into positioning calls (Twisted's `NMEAAdapter`).
 * Per sentence the state is updated, then each receiver method fires, in
 * the interface's order, when all its arguments are known and one came
 * from this sentence, so a log gives the calls Twisted 22.4 gives. Beyond
 * Twisted: any talker; a void fix (RMC or GLL status V, GGA quality 0, GSA
 * fix type 1, VTG mode N) fires nothing and clears the state; a field that
 * does not parse skips its sentence; time keeps its fraction of a second.
 *
 * @example
 * ```ts
 * import { BasePositioningReceiver, type Coordinate, NMEAAdapter, NMEAProtocol } from "@tw/core/positioning";
 * class Where extends BasePositioningReceiver {
 *   override positionReceived(latitude: Coordinate, longitude: Coordinate): void {
 *     console.log(latitude.inDecimalDegrees?.toFixed(4), longitude.inDecimalDegrees?.toFixed(4));
 *   }
 * }
 * const proto = new NMEAProtocol(new NMEAAdapter(new Where()));
 * proto.dataReceived(new TextEncoder().encode(
 *   "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n",
 * )); // 48.1173 11.5167
 * ```
 */
export class NMEAAdapter implements INMEAReceiver {
  /** A two-digit year below this is in the next century (Twisted's rule). */
  yearThreshold = 1980;
  readonly #receiver: IPositioningReceiver;
  #state = new Map<string, unknown>();
  #data = new Map<string, unknown>();
  #sentence: NMEASentence | null = null;

  /** Reports to `receiver`. */
  constructor(receiver: IPositioningReceiver) {
    this.#receiver = receiver;
  }

  /** Forgets everything known so far. */
  clear(): void {
    this.#state = new Map();
    this.#data = new Map();
  }

  /** Updates the state from `sentence`, then makes the calls it allows. */
  sentenceReceived(sentence: NMEASentence): void {
    this.#sentence = sentence;
    this.#data = new Map();
    if (this.#isVoid(sentence)) {
      this.clear();
      return;
    }
    try {
      for (const key of [...sentence.presentAttributes].sort()) this.#fix(key);
    } catch (e) {
      log.info("Skipped NMEA sentence {type}: {error}", {
        type: sentence.type,
        error: (e as Error).message,
      });
      this.#data = new Map();
      return;
    }
    this.#updateBeaconInformation();
    this.#combineDateAndTime();
    for (const [key, value] of this.#data) this.#state.set(key, value);
    this.#fire();
  }

  #isVoid(s: NMEASentence): boolean {
    switch (s.formatter) {
      case "RMC":
      case "GLL":
        return s.get("dataMode") === "V";
      case "GGA":
        return s.get("fixQuality") === "0";
      case "GSA":
        return s.get("fixType") === "1";
      case "VTG":
        return s.get("dataMode") === "N";
    }
    return false;
  }

  #get(key: string): string | null {
    return this.#sentence!.get(key);
  }

  #fix(key: string): void {
    switch (key) {
      case "type":
        if (this.#sentence!.formatter === "GSV") this.#fixGSV();
        else if (this.#sentence!.formatter === "GSA") this.#fixGSA();
        return;
      case "timestamp":
        return this.#fixTimestamp();
      case "datestamp":
        return this.#fixDatestamp();
      case "latitudeFloat":
        return this.#fixCoordinate("latitude", Angles.LATITUDE);
      case "longitudeFloat":
        return this.#fixCoordinate("longitude", Angles.LONGITUDE);
      case "latitudeHemisphere":
        return (this.#data.get("latitude") as Angle | undefined)?.setSign(this.#sign(key));
      case "longitudeHemisphere":
        return (this.#data.get("longitude") as Angle | undefined)?.setSign(this.#sign(key));
      case "altitude":
      case "heightOfGeoidAboveWGS84":
        this.#data.set(key, new Altitude(num(this.#get(key))));
        return;
      case "altitudeUnits":
      case "heightOfGeoidAboveWGS84Units": {
        // Metres are what Altitude holds; feet are converted (Twisted fails on them).
        const valueKey = key.slice(0, -5);
        if (this.#get(key) === "F" && this.#data.has(valueKey)) {
          this.#data.set(valueKey, new Altitude(num(this.#get(valueKey)) * METERS_PER_FOOT));
        }
        return;
      }
      case "trueHeading":
        (this.#stateful("heading", () => new Heading()) as Heading).inDecimalDegrees = num(
          this.#get(key),
        );
        return;
      case "magneticVariation":
        (this.#stateful("heading", () => new Heading()) as Heading).variation = new Angle(
          num(this.#get(key)),
          Angles.VARIATION,
        );
        return;
      case "magneticVariationDirection":
        return (this.#data.get("heading") as Heading | undefined)?.setSign(this.#sign(key));
      case "speedInKnots":
        this.#data.set("speed", new Speed(num(this.#get(key)) * MPS_PER_KNOT));
        return;
      case "positionDilutionOfPrecision":
        (this.#stateful("positionError", () => new PositionError()) as PositionError).pdop = num(
          this.#get(key),
        );
        return;
      case "horizontalDilutionOfPrecision":
        (this.#stateful("positionError", () => new PositionError()) as PositionError).hdop = num(
          this.#get(key),
        );
        return;
      case "verticalDilutionOfPrecision":
        (this.#stateful("positionError", () => new PositionError()) as PositionError).vdop = num(
          this.#get(key),
        );
        return;
    }
  }

  /** This sentence's object for `key`: the state's (updated in place, as Twisted), or new. */
  #stateful(key: string, make: () => unknown): unknown {
    if (!this.#data.has(key)) this.#data.set(key, this.#state.get(key) ?? make());
    return this.#data.get(key);
  }

  #sign(key: string): 1 | -1 {
    const hemisphere = (this.#get(key) ?? "").toUpperCase();
    if (hemisphere === "N" || hemisphere === "E") return 1;
    if (hemisphere === "S" || hemisphere === "W") return -1;
    throw new RangeError(`bad hemisphere/direction: ${hemisphere}`);
  }

  #fixTimestamp(): void {
    const m = /^(\d\d)(\d\d)(\d\d)(?:\.(\d+))?$/.exec(this.#get("timestamp") ?? "");
    if (m === null) throw new RangeError(`bad timestamp ${this.#get("timestamp")}`);
    const [hours, minutes, seconds] = [m[1], m[2], m[3]].map(Number);
    if (hours > 23 || minutes > 59 || seconds > 60) throw new RangeError("bad time");
    const ms = m[4] === undefined ? 0 : Math.round(Number(`0.${m[4]}`) * 1000);
    this.#data.set("_time", { hours, minutes, seconds, ms } satisfies Time);
  }

  #fixDatestamp(): void {
    const m = /^(\d\d)(\d\d)(\d\d)$/.exec(this.#get("datestamp") ?? "");
    if (m === null) throw new RangeError(`bad datestamp ${this.#get("datestamp")}`);
    const [day, month, yy] = [m[1], m[2], m[3]].map(Number);
    if (day < 1 || day > 31 || month < 1 || month > 12) throw new RangeError("bad date");
    let year = yy + this.yearThreshold - (this.yearThreshold % 100);
    if (year < this.yearThreshold) year += 100;
    this.#data.set("_date", { year, month, day } satisfies DateOnly);
  }

  #fixCoordinate(name: "latitude" | "longitude", type: "LATITUDE" | "LONGITUDE"): void {
    const text = this.#get(`${name}Float`) ?? "";
    if (!/^\d+(\.\d*)?$/.test(text)) throw new RangeError(`bad ${name} ${text}`);
    const [left, right = ""] = text.split(".");
    const degrees = Number(left.slice(0, -2) || "0");
    const minutes = Number(`${left.slice(-2)}.${right || "0"}`);
    this.#data.set(name, new Coordinate(degrees + minutes / 60, type));
  }

  #fixGSV(): void {
    const info = new BeaconInformation();
    this.#data.set("_partialBeaconInformation", info);
    for (let i = 0; i < 4; i++) {
      const prn = this.#get(`satellitePRN_${i}`);
      const snr = this.#get(`signalToNoiseRatio_${i}`);
      if (prn === null || snr === null) continue;
      const azimuth = this.#get(`azimuth_${i}`);
      const elevation = this.#get(`elevation_${i}`);
      info.seenBeacons.add(
        new Satellite(num(prn), {
          azimuth: azimuth === null ? null : num(azimuth),
          elevation: elevation === null ? null : num(elevation),
          signalToNoiseRatio: num(snr),
        }),
      );
    }
  }

  #fixGSA(): void {
    const used = new Set<number>();
    for (let i = 0; i < 12; i++) {
      const prn = this.#get(`usedSatellitePRN_${i}`);
      if (prn !== null) used.add(num(prn));
    }
    this.#data.set("_usedPRNs", used);
  }

  #updateBeaconInformation(): void {
    const fresh = this.#data.get("_partialBeaconInformation") as BeaconInformation | undefined;
    if (fresh === undefined) return;
    // Twisted prefers the PRNs already in the state to this sentence's.
    const used = (this.#state.get("_usedPRNs") ?? this.#data.get("_usedPRNs")) as
      | Set<number>
      | undefined;
    if (used !== undefined) {
      for (const beacon of fresh.seenBeacons) {
        if (used.has(beacon.identifier)) fresh.usedBeacons.add(beacon);
      }
    }
    const old = this.#state.get("_partialBeaconInformation") as BeaconInformation | undefined;
    if (old !== undefined) {
      for (const b of old.seenBeacons) fresh.seenBeacons.add(b);
      for (const b of old.usedBeacons) fresh.usedBeacons.add(b);
    }
    const index = this.#get("GSVSentenceIndex");
    if (index === this.#get("numberOfGSVSentences")) {
      if (index !== "1") this.#state.delete("_partialBeaconInformation");
      this.#data.delete("_partialBeaconInformation");
      this.#data.set("beaconInformation", fresh);
    }
  }

  #combineDateAndTime(): void {
    if (!this.#data.has("_date") && !this.#data.has("_time")) return;
    const date = (this.#data.get("_date") ?? this.#state.get("_date")) as DateOnly | undefined;
    const time = (this.#data.get("_time") ?? this.#state.get("_time")) as Time | undefined;
    if (date === undefined || time === undefined) return;
    const at = new Date(0);
    at.setUTCFullYear(date.year, date.month - 1, date.day);
    at.setUTCHours(time.hours, time.minutes, time.seconds, time.ms);
    this.#data.set("time", at);
  }

  #fire(): void {
    for (const [method, fields] of CALLBACKS) {
      if (!fields.every((f) => this.#state.has(f))) continue;
      if (!fields.some((f) => this.#data.has(f))) continue;
      const args = fields.map((f) => this.#state.get(f));
      (this.#receiver[method] as (...a: unknown[]) => void)(...args);
    }
  }
}
