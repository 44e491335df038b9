"""A Twisted echo client for the interop tests.

Usage: twisted_echo_client.py PORT SIZE
Connects to 127.0.0.1:PORT, sends SIZE deterministic bytes, reads them back,
prints "OK <size>" when the echo matches and exits 0; exits 1 otherwise.
"""
import sys

from twisted.internet import protocol, reactor

port, size = int(sys.argv[1]), int(sys.argv[2])
payload = bytes((i * 7 + 3) % 251 for i in range(size))
outcome = {"ok": False}


class Client(protocol.Protocol):
    def connectionMade(self):
        self.received = []
        self.count = 0
        self.transport.write(payload)

    def dataReceived(self, data):
        self.received.append(data)
        self.count += len(data)
        if self.count >= size:
            outcome["ok"] = b"".join(self.received) == payload
            self.transport.loseConnection()

    def connectionLost(self, reason):
        reactor.stop()


class Factory(protocol.ClientFactory):
    protocol = Client

    def clientConnectionFailed(self, connector, reason):
        print("FAILED %s" % reason.getErrorMessage(), flush=True)
        reactor.stop()


reactor.connectTCP("127.0.0.1", port, Factory(), timeout=10)
reactor.callLater(20, reactor.stop)
reactor.run()
if outcome["ok"]:
    print("OK %d" % size, flush=True)
    sys.exit(0)
print("MISMATCH", flush=True)
sys.exit(1)
