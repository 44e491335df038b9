# twisted.web on CPython (Debian python3-twisted), the reference peer for web_bench.ts:
# "Hello, world!" (text/plain) for every GET. Prints "READY <port>" once listening on 127.0.0.1.
from twisted.internet import reactor
from twisted.web import resource, server


class Hello(resource.Resource):
    isLeaf = True

    def render_GET(self, request):
        request.setHeader(b"content-type", b"text/plain; charset=utf-8")
        return b"Hello, world!"


port = reactor.listenTCP(0, server.Site(Hello()), interface="127.0.0.1", backlog=2048)
print("READY %d" % port.getHost().port, flush=True)
reactor.run()
