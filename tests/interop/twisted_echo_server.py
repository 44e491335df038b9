"""A Twisted echo server for the interop tests.

Listens on 127.0.0.1 on a free port, prints "PORT <n>" on stdout, echoes every
byte back, and exits when its stdin closes (so it never outlives the test).
"""
import sys

from twisted.internet import protocol, reactor, stdio


class Echo(protocol.Protocol):
    def dataReceived(self, data):
        self.transport.write(data)


class StopOnStdinClose(protocol.Protocol):
    def connectionLost(self, reason):
        if reactor.running:
            reactor.stop()


factory = protocol.Factory.forProtocol(Echo)
port = reactor.listenTCP(0, factory, interface="127.0.0.1")
stdio.StandardIO(StopOnStdinClose())
print("PORT %d" % port.getHost().port, flush=True)
reactor.run()
sys.exit(0)
