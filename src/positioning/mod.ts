/**
 * `@tw/core/positioning` (`twisted.positioning`): positions, headings,
 * speeds, altitudes, dilutions of precision and satellites from NMEA 0183
 * sources (a GPS on a serial port, a recorded log, gpsd, ser2net), with
 * Twisted's value types and receiver interface.
 *
 * A source is `NMEAProtocol(new NMEAAdapter(receiver))` on any transport
 * (`GPSDNMEAProtocol` for gpsd); the receiver's methods are called as
 * Twisted's `NMEAAdapter` calls them.
 *
 * @example
 * ```ts
 * import { BasePositioningReceiver, type Heading, NMEAAdapter, NMEAProtocol } from "@tw/core/positioning";
 * class Compass extends BasePositioningReceiver {
 *   override headingReceived(heading: Heading): void {
 *     console.log(heading.inDecimalDegrees); // 274.07
 *   }
 * }
 * const gps = new NMEAProtocol(new NMEAAdapter(new Compass()));
 * gps.dataReceived(new TextEncoder().encode("$GPHDT,274.07,T*03\r\n"));
 * ```
 *
 * @module
 */
export {
  Altitude,
  Angle,
  Angles,
  type AngleType,
  BasePositioningReceiver,
  BeaconInformation,
  Climb,
  Coordinate,
  type Direction,
  Directions,
  Heading,
  InvalidChecksum,
  InvalidSentence,
  type IPositioningReceiver,
  METERS_PER_FOOT,
  MPS_PER_KNOT,
  MPS_PER_KPH,
  PositionError,
  type PositionErrorOptions,
  Satellite,
  type SatelliteOptions,
  Speed,
} from "./_base.ts";
export {
  GPSDNMEAProtocol,
  type INMEAReceiver,
  NMEAProtocol,
  type NMEAProtocolOptions,
  NMEASentence,
} from "./_nmea.ts";
export { NMEAAdapter } from "./_adapter.ts";
