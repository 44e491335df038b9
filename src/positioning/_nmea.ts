/**
 * NMEA 0183 (`twisted.positioning.nmea`): `NMEAProtocol` reads sentences,
 * `NMEAAdapter` turns them into positioning calls, `GPSDNMEAProtocol`
 * asks gpsd for them.
 * Private: re-exported by `mod.ts`.
 * @module
 */
import { Protocol } from "../internet/protocol.ts";
import { Logger } from "../logger/mod.ts";
import { InvalidChecksum, InvalidSentence } from "./_base.ts";

const log = new Logger("tw.positioning.nmea");
const td = new TextDecoder();

/** The fields of each sentence, by formatter (the talker, GP, GN ..., comes before it). */
const CONTENTS: Record<string, readonly (string | null)[]> = {
  GGA: [
    "timestamp",
    "latitudeFloat",
    "latitudeHemisphere",
    "longitudeFloat",
    "longitudeHemisphere",
    "fixQuality",
    "numberOfSatellitesSeen",
    "horizontalDilutionOfPrecision",
    "altitude",
    "altitudeUnits",
    "heightOfGeoidAboveWGS84",
    "heightOfGeoidAboveWGS84Units",
    null,
    null,
  ],
  RMC: [
    "timestamp",
    "dataMode",
    "latitudeFloat",
    "latitudeHemisphere",
    "longitudeFloat",
    "longitudeHemisphere",
    "speedInKnots",
    "trueHeading",
    "datestamp",
    "magneticVariation",
    "magneticVariationDirection",
  ],
  GSV: [
    "numberOfGSVSentences",
    "GSVSentenceIndex",
    "numberOfSatellitesSeen",
    ...[0, 1, 2, 3].flatMap((i) => [
      `satellitePRN_${i}`,
      `elevation_${i}`,
      `azimuth_${i}`,
      `signalToNoiseRatio_${i}`,
    ]),
  ],
  GLL: [
    "latitudeFloat",
    "latitudeHemisphere",
    "longitudeFloat",
    "longitudeHemisphere",
    "timestamp",
    "dataMode",
  ],
  HDT: ["trueHeading"],
  GSA: [
    "dataMode",
    "fixType",
    ...Array.from({ length: 12 }, (_, i) => `usedSatellitePRN_${i}`),
    "positionDilutionOfPrecision",
    "horizontalDilutionOfPrecision",
    "verticalDilutionOfPrecision",
  ],
  // Beyond Twisted: course and speed over ground; its mode N is a void fix.
  VTG: ["trueHeading", null, null, null, "speedInKnots", null, null, null, "dataMode"],
};

/**
 * One NMEA sentence (Twisted's `NMEASentence`): `type` is the whole
 * sentence type (`GPRMC`, `GNGGA` ...), `get(name)` a field by Twisted's
 * name (`timestamp`, `latitudeFloat`, `speedInKnots` ...) as its text, or
 * null when absent.
 *
 * @example
 * ```ts
 * import { NMEASentence } from "@tw/core/positioning";
 * const s = new NMEASentence({ type: "GPHDT", trueHeading: "274.07" });
 * console.log(s.formatter, s.get("trueHeading")); // HDT 274.07
 * ```
 */
export class NMEASentence {
  /** The fields present, by name (with `type`). */
  readonly data: Readonly<Record<string, string>>;

  /** Wraps the fields. */
  constructor(data: Record<string, string>) {
    this.data = data;
  }

  /** The sentence type, talker included. */
  get type(): string {
    return this.data.type;
  }

  /** The sentence type without its talker (`RMC` for `GNRMC`). */
  get formatter(): string {
    return this.type.slice(-3);
  }

  /** A field's text, or null. */
  get(name: string): string | null {
    return Object.hasOwn(this.data, name) ? this.data[name] : null;
  }

  /** The names of the fields present, `type` included. */
  get presentAttributes(): string[] {
    return Object.keys(this.data);
  }
}

/** What receives sentences (Twisted's `INMEAReceiver`): `NMEAAdapter` is one. */
export interface INMEAReceiver {
  /** Called with each valid sentence. */
  sentenceReceived(sentence: NMEASentence): void;
}

/** Options for `NMEAProtocol`. */
export interface NMEAProtocolOptions {
  /**
   * Called with each sentence before the receiver.
   * @default undefined
   */
  sentenceCallback?: (sentence: NMEASentence) => void;
  /**
   * The longest line read; longer ones are skipped.
   * @default 1024
   */
  maxLength?: number;
}

/** Checks the `*HH` checksum; returns the fields between `$` and `*`. */
function parseSentence(line: string): string[] {
  const star = line.lastIndexOf("*");
  if (!line.startsWith("$") || star < 0 || (star !== line.length - 1 && star !== line.length - 3)) {
    throw new InvalidSentence(`malformed sentence ${JSON.stringify(line.slice(0, 100))}`);
  }
  const body = line.slice(1, star);
  if (star === line.length - 3) {
    let sum = 0;
    for (let i = 0; i < body.length; i++) sum ^= body.charCodeAt(i);
    const given = Number.parseInt(line.slice(star + 1), 16);
    if (sum !== given) throw new InvalidChecksum(`bad checksum in ${line}`);
  }
  return body.split(",");
}

/**
 * Reads NMEA 0183 sentences from a byte stream (Twisted's `NMEAProtocol`):
 * lines end in CR LF or LF; checksums are checked; each sentence of a known
 * type (RMC, GGA, GSV, GLL, HDT, GSA, VTG, from any talker) goes to the
 * receiver. A bad checksum, a malformed, unknown, proprietary (`$P...`),
 * over-long or binary line is skipped, counted in `skipped` and logged;
 * the connection stays up (Twisted raises and drops it).
 *
 * @example
 * ```ts
 * import { NMEAProtocol, type NMEASentence } from "@tw/core/positioning";
 * const got: string[] = [];
 * const proto = new NMEAProtocol({ sentenceReceived: (s: NMEASentence) => got.push(s.type) });
 * proto.dataReceived(new TextEncoder().encode("$GPHDT,274.07,T*03\r\n"));
 * console.log(got); // ["GPHDT"]
 * ```
 */
export class NMEAProtocol extends Protocol {
  /** Gets the sentences. */
  readonly receiver: INMEAReceiver;
  /** How many lines were skipped. */
  skipped = 0;
  readonly #callback: ((sentence: NMEASentence) => void) | undefined;
  readonly #maxLength: number;
  #partial: Uint8Array[] = [];
  #partialLength = 0;
  #discarding = false;

  /** Reads for `receiver`; see `NMEAProtocolOptions`. */
  constructor(receiver: INMEAReceiver, options: NMEAProtocolOptions = {}) {
    super();
    this.receiver = receiver;
    this.#callback = options.sentenceCallback;
    this.#maxLength = options.maxLength ?? 1024;
  }

  /** Splits the bytes into lines, however they are chunked. */
  override dataReceived(data: Uint8Array): void {
    let start = 0;
    for (;;) {
      const end = data.indexOf(10, start);
      if (end < 0) break;
      this.#append(data.subarray(start, end));
      const line = this.#take();
      if (line !== null) this.#line(line);
      start = end + 1;
    }
    this.#append(data.subarray(start));
  }

  #append(bytes: Uint8Array): void {
    if (bytes.length === 0 || this.#discarding) return;
    if (this.#partialLength + bytes.length > this.#maxLength) {
      this.#discarding = true;
      this.#partial = [];
      this.#partialLength = 0;
      return;
    }
    this.#partial.push(bytes.slice());
    this.#partialLength += bytes.length;
  }

  #take(): Uint8Array | null {
    if (this.#discarding) {
      this.#discarding = false;
      this.#skip("an over-long line");
      return null;
    }
    const parts = this.#partial;
    this.#partial = [];
    this.#partialLength = 0;
    if (parts.length === 1) return parts[0];
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    return all;
  }

  /** True for lines the source sends that are not sentences (none, here). */
  protected isNoise(_line: string): boolean {
    return false;
  }

  #skip(why: string): void {
    this.skipped++;
    log.info("Skipped NMEA input: {why}", { why });
  }

  #line(bytes: Uint8Array): void {
    const line = td.decode(bytes).trim();
    if (line === "" || this.isNoise(line)) return;
    if (/[^\x20-\x7e]/.test(line)) return this.#skip("a line that is not printable ASCII");
    let fields: string[];
    try {
      fields = parseSentence(line);
    } catch (e) {
      return this.#skip((e as Error).message);
    }
    const type = fields[0];
    const keys = type.startsWith("P") || type.length !== 5 ? undefined : CONTENTS[type.slice(2)];
    if (keys === undefined) return this.#skip(`the sentence type ${type.slice(0, 20)}`);
    const data: Record<string, string> = { type };
    keys.forEach((key, i) => {
      const value = fields[i + 1];
      if (key !== null && value !== undefined && value !== "") data[key] = value;
    });
    const sentence = new NMEASentence(data);
    this.#callback?.(sentence);
    this.receiver.sentenceReceived(sentence);
  }
}

/**
 * Reads NMEA from gpsd (Twisted's `GPSDNMEAProtocol` idea): on connect it
 * asks gpsd to watch with NMEA output, and skips gpsd's JSON lines.
 *
 * @example
 * ```ts
 * import { GPSDNMEAProtocol, NMEAAdapter, BasePositioningReceiver } from "@tw/core/positioning";
 * const proto = new GPSDNMEAProtocol(new NMEAAdapter(new BasePositioningReceiver()));
 * console.log(proto instanceof GPSDNMEAProtocol); // true
 * // clientFromString(reactor, "tcp:127.0.0.1:2947").connect(Factory.forProtocol(...))
 * ```
 */
export class GPSDNMEAProtocol extends NMEAProtocol {
  /** Asks gpsd for NMEA sentences. */
  override connectionMade(): void {
    this.transport.write(new TextEncoder().encode('?WATCH={"enable":true,"nmea":true};\n'));
  }

  /** gpsd's JSON reports are not sentences. */
  protected override isNoise(line: string): boolean {
    return line.startsWith("{");
  }
}
