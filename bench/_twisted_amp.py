# Twisted's own AMP server (Debian python3-twisted), the reference peer for amp_bench.ts:
# Sum(a, b) -> total. Usage: /usr/bin/python3 bench/_twisted_amp.py
# Prints "READY <port>" once listening on 127.0.0.1.
from twisted.internet import protocol, reactor
from twisted.protocols import amp


class Sum(amp.Command):
    arguments = [(b"a", amp.Integer()), (b"b", amp.Integer())]
    response = [(b"total", amp.Integer())]


class Adder(amp.AMP):
    @Sum.responder
    def sum(self, a, b):
        return {"total": a + b}


factory = protocol.Factory.forProtocol(Adder)
factory.noisy = False
port = reactor.listenTCP(0, factory, interface="127.0.0.1")
print("READY %d" % port.getHost().port, flush=True)
reactor.run()
