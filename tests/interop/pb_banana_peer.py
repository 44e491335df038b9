# Twisted's Banana as a peer for tests/interop/pb_banana_test.ts.
# "server": prints "PORT n", echoes each expression it receives (in the
# negotiated dialect), and exits when the connection ends.
# "client PORT": connects, sends one expression, prints the repr of the
# answer and whether the dialect was pb, and exits.
import sys

from twisted.internet import protocol, reactor
from twisted.spread import banana


class Echo(banana.Banana):
    def expressionReceived(self, lst):
        sys.stderr.write("got %r\n" % (lst,))
        self.sendEncoded(lst)

    def connectionLost(self, reason):
        reactor.stop()


class Caller(banana.Banana):
    def connectionReady(self):
        self.sendEncoded([b"decref", 2**300, -5, 0.5, [b"x", []]])

    def expressionReceived(self, lst):
        print("DIALECT %s GOT %r" % (self.currentDialect.decode(), lst), flush=True)
        self.transport.loseConnection()

    def connectionLost(self, reason):
        reactor.stop()


if sys.argv[1] == "server":
    factory = protocol.Factory()
    factory.protocol = lambda: Echo(isClient=0)
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    print("PORT %d" % port.getHost().port, flush=True)
else:
    protocol.ClientCreator(reactor, Caller).connectTCP("127.0.0.1", int(sys.argv[2]))
reactor.callLater(30, reactor.stop)
reactor.run()
