# Twisted's own Perspective Broker server (Debian python3-twisted), the reference peer for
# pb_bench.ts: a root with add(a, b). Usage: /usr/bin/python3 bench/_twisted_pb.py
# Prints "READY <port>" once listening on 127.0.0.1.
from twisted.internet import reactor
from twisted.spread import pb


class Adder(pb.Root):
    def remote_add(self, a, b):
        return a + b


factory = pb.PBServerFactory(Adder())
factory.noisy = False
port = reactor.listenTCP(0, factory, interface="127.0.0.1")
print("READY %d" % port.getHost().port, flush=True)
reactor.run()
