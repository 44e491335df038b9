# Twisted's telnet as a peer for tests/conch/telnet_test.ts (Debian python3-twisted,
# run by /usr/bin/python3):
#   telnet_peer.py server            a TelnetTransport whose protocol accepts ECHO and
#                                    SGA locally and NAWS remotely, asks DO NAWS on
#                                    connect, echoes lines upper-cased, reports NAWS;
#                                    prints "PORT n", stops when stdin closes
#   telnet_peer.py client PORT       a TelnetTransport client: asks DO ECHO, sends a
#                                    line with a 0xff byte and one line; prints one JSON
#                                    line per check
import json
import struct
import sys

from twisted.conch import telnet
from twisted.internet import defer, protocol, reactor, stdio


class Upper(telnet.TelnetProtocol):
    def connectionMade(self):
        self.transport.negotiationMap[telnet.NAWS] = self.naws
        self.transport.do(telnet.NAWS).addErrback(lambda f: None)
        self.buffer = b""

    def enableLocal(self, option):
        return option in (telnet.ECHO, telnet.SGA)

    def enableRemote(self, option):
        return option == telnet.NAWS

    def disableLocal(self, option):
        pass

    def disableRemote(self, option):
        pass

    def naws(self, data):
        width, height = struct.unpack("!HH", b"".join(data))
        self.transport.write(b"NAWS %d %d\n" % (width, height))

    def dataReceived(self, data):
        self.buffer += data
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            self.transport.write(line.upper() + b"\n")


class StopOnEOF(protocol.Protocol):
    def connectionLost(self, reason):
        reactor.stop()


def server():
    factory = protocol.ServerFactory()
    factory.protocol = lambda: telnet.TelnetTransport(Upper)
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    print("PORT", port.getHost().port, flush=True)
    stdio.StandardIO(StopOnEOF())
    reactor.run()


def report(name, ok, detail=None):
    print(json.dumps({"check": name, "ok": bool(ok), "detail": repr(detail)}), flush=True)


class Client(telnet.TelnetProtocol):
    def __init__(self, done):
        self.done = done
        self.received = b""

    def enableRemote(self, option):
        return option == telnet.ECHO

    def enableLocal(self, option):
        return option == telnet.NAWS

    def disableRemote(self, option):
        pass

    def disableLocal(self, option):
        pass

    @defer.inlineCallbacks
    def connectionMade(self):
        try:
            yield self.transport.do(telnet.ECHO)
            report("do ECHO accepted", self.transport.getOptionState(telnet.ECHO).him.state == "yes")
        except Exception as e:
            report("do ECHO accepted", False, e)
        try:
            yield self.transport.do(telnet.LINEMODE)
            report("do LINEMODE refused", False)
        except telnet.OptionRefused:
            report("do LINEMODE refused", True)
        self.transport.write(b"abc\xffdef\nsecond\n")

    def dataReceived(self, data):
        self.received += data
        if self.received.count(b"\n") >= 2:
            lines = self.received.split(b"\n")
            report("echo with 0xff", lines[0] == b"ABC\xffDEF", lines[0])
            report("second line", lines[1] == b"SECOND", lines[1])
            self.transport.loseConnection()

    def connectionLost(self, reason):
        self.done.callback(None)


def client(port):
    done = defer.Deferred()
    done.addBoth(lambda _: reactor.stop())
    protocol.ClientCreator(reactor, telnet.TelnetTransport, Client, done).connectTCP("127.0.0.1", port)
    reactor.callLater(15, lambda: done.called or done.callback(None))
    reactor.run()


if __name__ == "__main__":
    server() if sys.argv[1] == "server" else client(int(sys.argv[2]))
