# autobahn's wrapping factories (Debian python3-autobahn) around Twisted's
# stream protocols, the peers of tests/web/websocket_wrapping_test.ts.
#   server: serves an upper-casing echo over WebSocket at /ws; prints "READY <port>".
#   client URL: connects a line protocol over WebSocket to URL, sends "hello\r\n",
#     prints what comes back, then closes.
import sys

from autobahn.twisted.websocket import (
    WrappingWebSocketClientFactory,
    WrappingWebSocketServerFactory,
)
from twisted.internet import reactor
from twisted.internet.protocol import ClientFactory, Factory, Protocol


class Upper(Protocol):
    def dataReceived(self, data):
        self.transport.write(data.upper())


class Hello(Protocol):
    def connectionMade(self):
        self.transport.write(b"hello\r\n")

    def dataReceived(self, data):
        print("GOT " + data.decode(), flush=True)
        self.transport.loseConnection()

    def connectionLost(self, reason):
        reactor.callLater(0, reactor.stop)


if sys.argv[1] == "server":
    factory = WrappingWebSocketServerFactory(Factory.forProtocol(Upper), "ws://127.0.0.1/ws")
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    print("READY %d" % port.getHost().port, flush=True)
else:
    url = sys.argv[2]
    factory = WrappingWebSocketClientFactory(ClientFactory.forProtocol(Hello), url)
    host, port = url.split("/")[2].split(":")
    reactor.connectTCP(host, int(port), factory)
    reactor.callLater(10, reactor.stop)
reactor.run()
