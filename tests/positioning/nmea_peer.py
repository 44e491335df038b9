# Twisted's NMEAAdapter as a peer for tests/positioning/nmea_test.ts (Debian
# python3-twisted, run by /usr/bin/python3): reads an NMEA log on stdin, prints one
# JSON line per receiver call, values normalized as the TypeScript test does.
import json
import sys

from twisted.positioning import base, nmea


def r(x, digits=6):
    return None if x is None else round(float(x), digits)


class Recorder(base.BasePositioningReceiver):
    def emit(self, name, *args):
        print(json.dumps([name, *args]))

    def positionReceived(self, latitude, longitude):
        self.emit("position", r(latitude.inDecimalDegrees), r(longitude.inDecimalDegrees))

    def positionErrorReceived(self, positionError):
        e = positionError
        self.emit("positionError", r(e.pdop, 4), r(e.hdop, 4), r(e.vdop, 4))

    def timeReceived(self, time):
        self.emit("time", time.strftime("%Y-%m-%dT%H:%M:%S"))

    def headingReceived(self, heading):
        variation = None if heading.variation is None else r(heading.variation.inDecimalDegrees)
        self.emit("heading", r(heading.inDecimalDegrees), variation)

    def altitudeReceived(self, altitude):
        self.emit("altitude", r(altitude.inMeters))

    def speedReceived(self, speed):
        self.emit("speed", r(speed.inMetersPerSecond))

    def climbReceived(self, climb):
        self.emit("climb", r(climb.inMetersPerSecond))

    def beaconInformationReceived(self, beaconInformation):
        info = beaconInformation
        seen = sorted(b.identifier for b in info.seenBeacons)
        used = sorted(b.identifier for b in info.usedBeacons)
        self.emit("beaconInformation", seen, used)


protocol = nmea.NMEAProtocol(nmea.NMEAAdapter(Recorder()))
for line in sys.stdin.buffer.read().split(b"\r\n"):
    if line:
        protocol.lineReceived(line)
