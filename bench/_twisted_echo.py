# Twisted's own echo server (Debian python3-twisted), the reference peer for tcp_echo_bench.ts.
# Usage: /usr/bin/python3 bench/_twisted_echo.py [echo|flood] [floodBytes]
# Prints "READY <port>" once listening on 127.0.0.1.
import sys

from twisted.internet import protocol, reactor
from zope.interface import implementer
from twisted.internet.interfaces import IPushProducer

MODE = sys.argv[1] if len(sys.argv) > 1 else "echo"
FLOOD = int(sys.argv[2]) if len(sys.argv) > 2 else 256 * 1024 * 1024
CHUNK = b"x" * 65536


class Echo(protocol.Protocol):
    def dataReceived(self, data):
        self.transport.write(data)


@implementer(IPushProducer)
class Flood(protocol.Protocol):
    def connectionMade(self):
        self.left = FLOOD
        self.paused = False
        self.transport.registerProducer(self, True)
        self.pump()

    def pump(self):
        while not self.paused and self.left > 0:
            n = min(len(CHUNK), self.left)
            self.left -= n
            self.transport.write(CHUNK[:n])
        if self.left == 0:
            self.transport.unregisterProducer()
            self.transport.loseConnection()

    def pauseProducing(self):
        self.paused = True

    def resumeProducing(self):
        if self.paused:
            self.paused = False
            reactor.callLater(0, self.pump)

    def stopProducing(self):
        self.left = 0


factory = protocol.Factory.forProtocol(Flood if MODE == "flood" else Echo)
port = reactor.listenTCP(0, factory, interface="127.0.0.1", backlog=2048)
print("READY %d" % port.getHost().port, flush=True)
reactor.run()
