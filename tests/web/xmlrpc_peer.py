# XML-RPC peers for tests/web/xmlrpc_test.ts, run by /usr/bin/python3:
#   xmlrpc_peer.py stdlib-server     Python's SimpleXMLRPCServer: prints "PORT n", serves
#                                    until stdin closes
#   xmlrpc_peer.py twisted-server    Twisted's XMLRPC resource on a Site, the same way
#   xmlrpc_peer.py client URL        Python's xmlrpc.client calling our server; one JSON
#                                    line per check {"check", "ok", "detail"}
# The servers offer echo(*args) -> list(args), add(a, b), fail() (Fault 42, "no"), and
# kinds(*args) -> the Python type names of what arrived.
import datetime
import json
import sys
import threading
import xmlrpc.client
from xmlrpc.server import SimpleXMLRPCServer


def kinds(*args):
    return [type(a).__name__ for a in args]


def stdlib_server():
    server = SimpleXMLRPCServer(("127.0.0.1", 0), logRequests=False, allow_none=True)
    server.register_function(lambda *a: list(a), "echo")
    server.register_function(lambda a, b: a + b, "add")

    def fail():
        raise xmlrpc.client.Fault(42, "no")

    server.register_function(fail, "fail")
    server.register_function(kinds, "kinds")
    print("PORT", server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()


def twisted_server():
    from twisted.internet import reactor, stdio, protocol
    from twisted.web import server, xmlrpc

    class Calc(xmlrpc.XMLRPC):
        def xmlrpc_echo(self, *a):
            return list(a)

        def xmlrpc_add(self, a, b):
            return a + b

        def xmlrpc_fail(self):
            raise xmlrpc.Fault(42, "no")

        def xmlrpc_kinds(self, *a):
            return kinds(*a)

    port = reactor.listenTCP(0, server.Site(Calc(allowNone=True)), interface="127.0.0.1")
    print("PORT", port.getHost().port, flush=True)

    class Stop(protocol.Protocol):
        def connectionLost(self, reason):
            reactor.stop()

    stdio.StandardIO(Stop())
    reactor.run()


def report(name, ok, detail=None):
    print(json.dumps({"check": name, "ok": bool(ok), "detail": repr(detail)}), flush=True)


def client(url):
    proxy = xmlrpc.client.ServerProxy(url, allow_none=True)
    report("add", proxy.add(2, 3) == 5)
    when = xmlrpc.client.DateTime("20240102T03:04:05")
    values = [1, -(2**31), 1.5, True, "é <&>", xmlrpc.client.Binary(b"\x00\xff"), when, [1, [2]], {"k": "v"}, None]
    got = proxy.echo(*values)
    ok = got[:5] == values[:5] and got[5].data == b"\x00\xff" and got[6].value == when.value
    report("echo", ok and got[7:] == values[7:], got)
    try:
        proxy.fail()
        report("fault", False)
    except xmlrpc.client.Fault as f:
        report("fault", (f.faultCode, f.faultString) == (42, "no"), f)
    try:
        proxy.nope()
        report("not found", False)
    except xmlrpc.client.Fault as f:
        report("not found", f.faultCode == 8001, f)
    report("sub handler", proxy.math.mul(6, 7) == 42)
    methods = proxy.system.listMethods()
    report("introspection", "add" in methods and "math.mul" in methods, methods)


if __name__ == "__main__":
    {"stdlib-server": stdlib_server, "twisted-server": twisted_server}.get(
        sys.argv[1], lambda: client(sys.argv[2])
    )()
