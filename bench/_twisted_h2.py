# twisted.web over TLS on CPython: with Debian python3-h2 and python3-priority installed,
# Twisted offers h2 by ALPN and serves HTTP/2 (its H2Connection), the peer of h2_bench.ts.
# "Hello, world!" (text/plain) for every GET. Prints "READY <port>" once listening.
import os
import sys

from twisted.internet import endpoints, reactor
from twisted.web import resource, server

try:
    import h2  # noqa: F401
    import priority  # noqa: F401
except ImportError:
    sys.stderr.write("twisted needs python3-h2 and python3-priority for HTTP/2\n")
    sys.exit(2)


class Hello(resource.Resource):
    isLeaf = True

    def render_GET(self, request):
        request.setHeader(b"content-type", b"text/plain; charset=utf-8")
        return b"Hello, world!"


tls = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "tls")
spec = "ssl:0:interface=127.0.0.1:backlog=2048:privateKey=%s:certKey=%s" % (
    os.path.join(tls, "server.key").replace(":", "\\:"),
    os.path.join(tls, "server.pem").replace(":", "\\:"),
)


def listening(port):
    print("READY %d" % port.getHost().port, flush=True)


endpoints.serverFromString(reactor, spec).listen(server.Site(Hello())).addCallback(listening)
reactor.run()
