/**
 * Positioning's value types (`twisted.positioning.base`): angles,
 * coordinates, headings, altitudes, speeds, dilutions of precision and
 * satellites, and the receiver interface sources report to.
 * Private: re-exported by `mod.ts`.
 * @module
 */

/** Metres a second in a knot. */
export const MPS_PER_KNOT = 0.5144444444444444;
/** Metres a second in a kilometre an hour. */
export const MPS_PER_KPH = 0.27777777777777777;
/** Metres in a foot. */
export const METERS_PER_FOOT = 0.3048;

/** The kinds of angle (Twisted's `Angles`). */
export const Angles = {
  LATITUDE: "LATITUDE",
  LONGITUDE: "LONGITUDE",
  HEADING: "HEADING",
  VARIATION: "VARIATION",
} as const;
/** One of `Angles`. */
export type AngleType = typeof Angles[keyof typeof Angles];

/** The hemispheres (Twisted's `Directions`). */
export const Directions = {
  NORTH: "NORTH",
  EAST: "EAST",
  SOUTH: "SOUTH",
  WEST: "WEST",
} as const;
/** One of `Directions`. */
export type Direction = typeof Directions[keyof typeof Directions];

/**
 * A sentence that cannot be used (Twisted's `base.InvalidSentence`).
 *
 * @example
 * ```ts
 * import { InvalidSentence } from "@tw/core/positioning";
 * console.log(new InvalidSentence("void fix").name); // "InvalidSentence"
 * ```
 */
export class InvalidSentence extends Error {
  /** Makes the error. */
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A sentence whose checksum is wrong (Twisted's `base.InvalidChecksum`).
 *
 * @example
 * ```ts
 * import { InvalidChecksum } from "@tw/core/positioning";
 * console.log(new InvalidChecksum("bad").name); // "InvalidChecksum"
 * ```
 */
export class InvalidChecksum extends Error {
  /** Makes the error. */
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

const IN_RANGE: Record<AngleType, (a: number) => boolean> = {
  LATITUDE: (a) => -90 < a && a < 90,
  LONGITUDE: (a) => -180 < a && a < 180,
  HEADING: (a) => 0 <= a && a < 360,
  VARIATION: (a) => -180 < a && a <= 180,
};

/**
 * An angle in decimal degrees, of a kind (Twisted's `base.Angle`); null
 * when unknown. Out of its kind's range, the constructor throws
 * `RangeError`.
 *
 * @example
 * ```ts
 * import { Angle, Angles } from "@tw/core/positioning";
 * const a = new Angle(-12.75, Angles.LATITUDE);
 * console.log(a.inDegreesMinutesSeconds); // [12, 45, 0]
 * ```
 */
export class Angle {
  /** Its kind, or null. */
  readonly angleType: AngleType | null;
  #angle: number | null;

  /** Makes the angle; throws `RangeError` out of its kind's range. */
  constructor(angle: number | null = null, angleType: AngleType | null = null) {
    if (angle !== null && angleType !== null && !IN_RANGE[angleType](angle)) {
      throw new RangeError(`Angle ${angle} not in allowed range for type ${angleType}`);
    }
    this.angleType = angleType;
    this.#angle = angle;
  }

  /** The angle in decimal degrees, or null; set out of range, it throws `RangeError`. */
  get inDecimalDegrees(): number | null {
    return this.#angle;
  }
  set inDecimalDegrees(angle: number | null) {
    if (angle !== null && this.angleType !== null && !IN_RANGE[this.angleType](angle)) {
      throw new RangeError(`Angle ${angle} not in allowed range for type ${this.angleType}`);
    }
    this.#angle = angle;
  }

  /** `[degrees, minutes, seconds]` (whole numbers, no sign), or null. */
  get inDegreesMinutesSeconds(): [number, number, number] | null {
    const angle = this.#angle;
    if (angle === null) return null;
    const degrees = Math.abs(Math.trunc(angle));
    const decimalMinutes = 60 * Math.abs(angle - Math.trunc(angle));
    const minutes = Math.trunc(decimalMinutes);
    return [degrees, minutes, Math.trunc(60 * (decimalMinutes - minutes))];
  }

  /** Makes the angle positive (1) or negative (-1). */
  setSign(sign: 1 | -1): void {
    if (sign !== 1 && sign !== -1) throw new RangeError(`bad sign ${sign}`);
    if (this.#angle !== null) this.#angle = sign * Math.abs(this.#angle);
  }
}

/**
 * A heading in degrees from true north, with the magnetic variation
 * (Twisted's `base.Heading`).
 *
 * @example
 * ```ts
 * import { Heading } from "@tw/core/positioning";
 * const h = Heading.fromFloats(100, 10);
 * console.log(h.correctedHeading?.inDecimalDegrees); // 90
 * ```
 */
export class Heading extends Angle {
  /** The magnetic variation, or null. */
  variation: Angle | null;

  /** Makes the heading. */
  constructor(angle: number | null = null, variation: Angle | null = null) {
    super(angle, Angles.HEADING);
    this.variation = variation;
  }

  /** A heading from two numbers. */
  static fromFloats(angle: number | null = null, variation: number | null = null): Heading {
    return new Heading(angle, new Angle(variation, Angles.VARIATION));
  }

  /** The heading corrected for the variation, or null. */
  get correctedHeading(): Angle | null {
    const heading = this.inDecimalDegrees;
    if (heading === null || this.variation?.inDecimalDegrees == null) return null;
    const angle = (((heading - this.variation.inDecimalDegrees) % 360) + 360) % 360;
    return new Angle(angle, Angles.HEADING);
  }

  /** Sets the sign of the variation (not of the heading). */
  override setSign(sign: 1 | -1): void {
    if (this.variation?.inDecimalDegrees == null) {
      throw new RangeError("can't set the sign of an unknown variation");
    }
    this.variation.setSign(sign);
  }
}

/**
 * A latitude or longitude (Twisted's `base.Coordinate`).
 *
 * @example
 * ```ts
 * import { Angles, Coordinate } from "@tw/core/positioning";
 * console.log(new Coordinate(-33.9, Angles.LATITUDE).hemisphere); // "SOUTH"
 * ```
 */
export class Coordinate extends Angle {
  /** Makes the coordinate. */
  constructor(angle: number | null, coordinateType: "LATITUDE" | "LONGITUDE" | null = null) {
    super(angle, coordinateType);
  }

  /** Its hemisphere. */
  get hemisphere(): Direction {
    const negative = (this.inDecimalDegrees ?? 0) < 0;
    if (this.angleType === Angles.LATITUDE) return negative ? Directions.SOUTH : Directions.NORTH;
    if (this.angleType === Angles.LONGITUDE) return negative ? Directions.WEST : Directions.EAST;
    throw new RangeError("unknown coordinate type (can't find hemisphere)");
  }
}

/**
 * An altitude in metres (Twisted's `base.Altitude`).
 *
 * @example
 * ```ts
 * import { Altitude } from "@tw/core/positioning";
 * console.log(new Altitude(3.048).inFeet); // 10
 * ```
 */
export class Altitude {
  /** The altitude in metres. */
  readonly inMeters: number;

  /** Makes the altitude. */
  constructor(altitude: number) {
    this.inMeters = altitude;
  }

  /** The altitude in feet. */
  get inFeet(): number {
    return this.inMeters / METERS_PER_FOOT;
  }
}

/**
 * A vertical speed in metres a second (Twisted's `base.Climb`).
 *
 * @example
 * ```ts
 * import { Climb } from "@tw/core/positioning";
 * console.log(new Climb(-1).inMetersPerSecond); // -1
 * ```
 */
export class Climb {
  /** The speed in metres a second. */
  readonly inMetersPerSecond: number;

  /** Makes the climb. */
  constructor(speed: number) {
    this.inMetersPerSecond = speed;
  }

  /** The speed in knots. */
  get inKnots(): number {
    return this.inMetersPerSecond / MPS_PER_KNOT;
  }
}

/**
 * A ground speed in metres a second, never negative (Twisted's
 * `base.Speed`).
 *
 * @example
 * ```ts
 * import { MPS_PER_KNOT, Speed } from "@tw/core/positioning";
 * console.log(new Speed(10 * MPS_PER_KNOT).inKnots); // 10
 * ```
 */
export class Speed extends Climb {
  /** Makes the speed; throws `RangeError` when negative. */
  constructor(speed: number) {
    if (speed < 0) throw new RangeError(`negative speed: ${speed}`);
    super(speed);
  }
}

/** Options for `PositionError`. */
export interface PositionErrorOptions {
  /** Position dilution of precision. */
  pdop?: number | null;
  /** Horizontal dilution of precision. */
  hdop?: number | null;
  /** Vertical dilution of precision. */
  vdop?: number | null;
  /** Check that pdop² = hdop² + vdop² (within 0.01) when all three are known. */
  testInvariant?: boolean;
}

/**
 * Dilutions of precision (Twisted's `base.PositionError`): one missing is
 * computed from the other two (pdop² = hdop² + vdop²).
 *
 * @example
 * ```ts
 * import { PositionError } from "@tw/core/positioning";
 * console.log(new PositionError({ hdop: 3, vdop: 4 }).pdop); // 5
 * ```
 */
export class PositionError {
  #pdop: number | null;
  #hdop: number | null;
  #vdop: number | null;
  readonly #testInvariant: boolean;

  /** Makes it; with `testInvariant`, inconsistent values throw `RangeError`. */
  constructor(options: PositionErrorOptions = {}) {
    this.#pdop = options.pdop ?? null;
    this.#hdop = options.hdop ?? null;
    this.#vdop = options.vdop ?? null;
    this.#testInvariant = options.testInvariant ?? false;
    this.#check();
  }

  #check(): void {
    if (!this.#testInvariant) return;
    const [p, h, v] = [this.pdop, this.hdop, this.vdop];
    if (p === null || h === null || v === null) return;
    if (Math.abs(p - Math.sqrt(h * h + v * v)) > 0.01) {
      throw new RangeError(
        `invalid combination of dilutions of precision: position ${p}, ` +
          `horizontal ${h}, vertical ${v}`,
      );
    }
  }

  #set(which: "p" | "h" | "v", value: number): void {
    const before = [this.#pdop, this.#hdop, this.#vdop];
    if (which === "p") this.#pdop = value;
    else if (which === "h") this.#hdop = value;
    else this.#vdop = value;
    try {
      this.#check();
    } catch (e) {
      [this.#pdop, this.#hdop, this.#vdop] = before;
      throw e;
    }
  }

  /** Position dilution of precision (given, or from hdop and vdop), or null. */
  get pdop(): number | null {
    if (this.#pdop !== null) return this.#pdop;
    if (this.#hdop === null || this.#vdop === null) return null;
    return Math.sqrt(this.#hdop ** 2 + this.#vdop ** 2);
  }
  set pdop(value: number) {
    this.#set("p", value);
  }

  /** Horizontal dilution of precision (given, or from pdop and vdop), or null. */
  get hdop(): number | null {
    if (this.#hdop !== null) return this.#hdop;
    if (this.#pdop === null || this.#vdop === null) return null;
    return Math.sqrt(this.#pdop ** 2 - this.#vdop ** 2);
  }
  set hdop(value: number) {
    this.#set("h", value);
  }

  /** Vertical dilution of precision (given, or from pdop and hdop), or null. */
  get vdop(): number | null {
    if (this.#vdop !== null) return this.#vdop;
    if (this.#pdop === null || this.#hdop === null) return null;
    return Math.sqrt(this.#pdop ** 2 - this.#hdop ** 2);
  }
  set vdop(value: number) {
    this.#set("v", value);
  }
}

/** Options for `Satellite`. */
export interface SatelliteOptions {
  /** Degrees from true north, or null. */
  azimuth?: number | null;
  /** Degrees above the horizon, or null. */
  elevation?: number | null;
  /** Signal to noise ratio in dB, or null. */
  signalToNoiseRatio?: number | null;
}

/**
 * A satellite seen (Twisted's `base.Satellite`): its PRN as identifier.
 *
 * @example
 * ```ts
 * import { Satellite } from "@tw/core/positioning";
 * const s = new Satellite(14, { azimuth: 40, elevation: 30, signalToNoiseRatio: 39 });
 * console.log(s.identifier, s.signalToNoiseRatio); // 14 39
 * ```
 */
export class Satellite {
  /** Its PRN. */
  readonly identifier: number;
  /** Degrees from true north, or null. */
  readonly azimuth: number | null;
  /** Degrees above the horizon, or null. */
  readonly elevation: number | null;
  /** Signal to noise ratio in dB, or null. */
  readonly signalToNoiseRatio: number | null;

  /** Makes the satellite. */
  constructor(identifier: number, options: SatelliteOptions = {}) {
    this.identifier = identifier;
    this.azimuth = options.azimuth ?? null;
    this.elevation = options.elevation ?? null;
    this.signalToNoiseRatio = options.signalToNoiseRatio ?? null;
  }
}

/**
 * The satellites seen and those used for the fix (Twisted's
 * `base.BeaconInformation`).
 *
 * @example
 * ```ts
 * import { BeaconInformation, Satellite } from "@tw/core/positioning";
 * const info = new BeaconInformation([new Satellite(3)]);
 * console.log(info.seenBeacons.size, info.usedBeacons.size); // 1 0
 * ```
 */
export class BeaconInformation {
  /** Every satellite seen. */
  readonly seenBeacons: Set<Satellite>;
  /** Those used for the fix. */
  readonly usedBeacons: Set<Satellite> = new Set();

  /** Makes it from the satellites seen. */
  constructor(seenBeacons: Iterable<Satellite> = []) {
    this.seenBeacons = new Set(seenBeacons);
  }
}

/**
 * What a positioning source reports to (Twisted's `IPositioningReceiver`),
 * in this order for one sentence.
 */
export interface IPositioningReceiver {
  /** A new position. */
  positionReceived(latitude: Coordinate, longitude: Coordinate): void;
  /** New dilutions of precision. */
  positionErrorReceived(positionError: PositionError): void;
  /** The time, UTC, with the fraction of a second the source gave. */
  timeReceived(time: Date): void;
  /** A new heading. */
  headingReceived(heading: Heading): void;
  /** A new altitude. */
  altitudeReceived(altitude: Altitude): void;
  /** A new ground speed. */
  speedReceived(speed: Speed): void;
  /** A new vertical speed. */
  climbReceived(climb: Climb): void;
  /** The satellites seen and used. */
  beaconInformationReceived(beaconInformation: BeaconInformation): void;
}

/**
 * A receiver whose methods do nothing; override those you need (Twisted's
 * `base.BasePositioningReceiver`).
 *
 * @example
 * ```ts
 * import { BasePositioningReceiver, type Coordinate } from "@tw/core/positioning";
 * class Printer extends BasePositioningReceiver {
 *   override positionReceived(latitude: Coordinate, longitude: Coordinate): void {
 *     console.log(latitude.inDecimalDegrees, longitude.inDecimalDegrees);
 *   }
 * }
 * new Printer().timeReceived(new Date());
 * ```
 */
export class BasePositioningReceiver implements IPositioningReceiver {
  /** Does nothing. */
  positionReceived(_latitude: Coordinate, _longitude: Coordinate): void {}
  /** Does nothing. */
  positionErrorReceived(_positionError: PositionError): void {}
  /** Does nothing. */
  timeReceived(_time: Date): void {}
  /** Does nothing. */
  headingReceived(_heading: Heading): void {}
  /** Does nothing. */
  altitudeReceived(_altitude: Altitude): void {}
  /** Does nothing. */
  speedReceived(_speed: Speed): void {}
  /** Does nothing. */
  climbReceived(_climb: Climb): void {}
  /** Does nothing. */
  beaconInformationReceived(_beaconInformation: BeaconInformation): void {}
}
