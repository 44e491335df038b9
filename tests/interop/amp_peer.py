"""A Twisted AMP peer for tests/interop/amp_twisted_test.ts (Debian python3-twisted and
python3-openssl, run by /usr/bin/python3).

    amp_peer.py server <tls-dir>          listens on 127.0.0.1, prints "PORT <n>", serves the
                                          commands below, exits when its stdin closes
    amp_peer.py client <tls-dir> <port>   calls our server: prints one JSON line per check,
                                          {"check": name, "ok": bool, "detail": ...}, then exits

Both sides declare the same commands as the TypeScript test.
"""
import datetime
import decimal
import json
import math
import sys

from twisted.internet import defer, interfaces, protocol, reactor, ssl, stdio, task
from twisted.protocols import amp
from twisted.python import log


class Everything(amp.Command):
    # No argument may be called "f": Twisted passes the arguments to maybeDeferred(f, **kw).
    arguments = [
        (b"i", amp.Integer()),
        (b"big", amp.Integer()),
        (b"s", amp.String()),
        (b"u", amp.Unicode()),
        (b"b", amp.Boolean()),
        (b"fl", amp.ListOf(amp.Float())),
        (b"d", amp.ListOf(amp.Decimal())),
        (b"t", amp.ListOf(amp.DateTime())),
        (b"l", amp.ListOf(amp.Integer())),
        (b"al", amp.AmpList([(b"x", amp.Integer()), (b"y", amp.Unicode(optional=True))])),
        (b"o", amp.Unicode(optional=True)),
    ]
    response = arguments + [(b"reprs", amp.ListOf(amp.Unicode()))]


class Divide(amp.Command):
    arguments = [(b"numerator", amp.Integer()), (b"denominator", amp.Integer())]
    response = [(b"result", amp.Float())]
    errors = {ZeroDivisionError: b"ZERO_DIVISION"}


class Boom(amp.Command):
    pass


class Slow(amp.Command):
    arguments = [(b"id", amp.Unicode()), (b"delay", amp.Float())]
    response = [(b"id", amp.Unicode())]


class Note(amp.Command):
    arguments = [(b"text", amp.Unicode())]
    requiresAnswer = False


class Notes(amp.Command):
    response = [(b"notes", amp.ListOf(amp.Unicode()))]


class Secure(amp.Command):
    response = [(b"secure", amp.Boolean()), (b"peer", amp.Unicode())]


class Nope(amp.Command):
    pass


def describe(kw):
    """What Twisted made of each value: the checks the TypeScript side reads."""
    out = []
    out.append("i=%r big=%r" % (kw["i"], kw["big"]))
    out.append("fl=" + ",".join(repr(x) for x in kw["fl"]))
    out.append("d=" + ",".join(repr(x) for x in kw["d"]))
    out.append("t=" + ",".join("%s|%s" % (t.isoformat(), t.utcoffset()) for t in kw["t"]))
    out.append("u=%r b=%r o=%r" % (kw["u"], kw["b"], kw.get("o")))
    return out


def tls_files(folder):
    def read(name):
        with open("%s/%s" % (folder, name)) as f:
            return f.read()

    return {
        "server": ssl.PrivateCertificate.loadPEM(read("server.pem") + read("server.key")),
        "client": ssl.PrivateCertificate.loadPEM(read("client.pem") + read("client.key")),
        "ca": ssl.Certificate.loadPEM(read("ca.pem")),
    }


def peer_name(transport):
    try:
        cert = ssl.Certificate.peerFromTransport(transport)
        return cert.getSubject().commonName.decode()
    except Exception:
        return ""


class Peer(amp.AMP):
    notes = None

    def connectionMade(self):
        self.notes = []
        amp.AMP.connectionMade(self)

    @Everything.responder
    def everything(self, **kw):
        kw["reprs"] = describe(kw)
        return kw

    @Divide.responder
    def divide(self, numerator, denominator):
        return {"result": numerator / denominator}

    @Boom.responder
    def boom(self):
        raise RuntimeError("kaboom")

    @Slow.responder
    def slow(self, id, delay):
        return task.deferLater(reactor, delay, lambda: {"id": id})

    @Note.responder
    def note(self, text):
        self.notes.append(text)
        return {}

    @Notes.responder
    def get_notes(self):
        return {"notes": self.notes}

    @Secure.responder
    def secure(self):
        return {
            "secure": interfaces.ISSLTransport.providedBy(self.transport),
            "peer": peer_name(self.transport),
        }

    @amp.StartTLS.responder
    def start_tls(self):
        return {
            "tls_localCertificate": TLS["server"],
            "tls_verifyAuthorities": [TLS["ca"]],
        }


class StopOnStdinClose(protocol.Protocol):
    def connectionLost(self, reason):
        if reactor.running:
            reactor.stop()


def serve():
    factory = protocol.Factory.forProtocol(Peer)
    factory.noisy = False
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    stdio.StandardIO(StopOnStdinClose())
    print("PORT %d" % port.getHost().port, flush=True)
    reactor.run()


def report(check, ok, detail=None):
    print(json.dumps({"check": check, "ok": bool(ok), "detail": detail}), flush=True)


class Client(amp.AMP):
    def connectionLost(self, reason):
        amp.AMP.connectionLost(self, reason)
        if not self.lost.called:
            self.lost.callback(None)


@defer.inlineCallbacks
def run_client(port):
    creator = protocol.ClientCreator(reactor, Client)

    def connect():
        d = creator.connectTCP("127.0.0.1", port)

        def made(p):
            p.lost = defer.Deferred()
            return p

        return d.addCallback(made)

    proto = yield connect()

    # Every argument type, echoed by our server.
    sent = {
        "i": -(2**53 - 1),
        "big": 2**70 + 3,
        "s": bytes(range(256)),
        "u": "h\u00e9llo \U0001f600",
        "b": False,
        "fl": [1.0, 0.1, -0.0, 1e100, 1e16, 5e-324, float("inf"), float("-inf"), float("nan")],
        "d": [decimal.Decimal(x) for x in ["1.10", "-Infinity", "NaN", "1E+2", "-0", "0.000001"]],
        "t": [
            datetime.datetime(2012, 1, 23, 12, 34, 56, 54321,
                              datetime.timezone(datetime.timedelta(minutes=-83))),
            datetime.datetime(2024, 2, 29, 23, 59, 59, 999999, datetime.timezone.utc),
            datetime.datetime(1, 1, 1, 0, 0, 0, 1,
                              datetime.timezone(datetime.timedelta(hours=5, minutes=30))),
        ],
        "l": [3, 7, -9],
        "al": [{"x": 1, "y": "why"}, {"x": 2}],
        "o": "here",
    }
    got = yield proto.callRemote(Everything, **sent)
    problems = []
    for k in ["i", "big", "s", "u", "b", "l", "o"]:
        if got.get(k) != sent[k] or type(got.get(k)) != type(sent[k]):
            problems.append("%s: %r != %r" % (k, got.get(k), sent[k]))
    for a, b in zip(got["fl"], sent["fl"]):
        if not (repr(a) == repr(b)):
            problems.append("fl: %r != %r" % (a, b))
    if [str(x) for x in got["d"]] != [str(x) for x in sent["d"]]:
        problems.append("d: %r != %r" % (got["d"], sent["d"]))
    for a, b in zip(got["t"], sent["t"]):
        if a != b or a.utcoffset() != b.utcoffset() or a.microsecond != b.microsecond:
            problems.append("t: %r != %r" % (a, b))
    if [dict(x, y=x.get("y")) for x in got["al"]] != [dict(x, y=x.get("y")) for x in sent["al"]]:
        problems.append("al: %r != %r" % (got["al"], sent["al"]))
    report("every argument type round-trips", not problems, problems)

    without = dict(sent)
    del without["o"]
    got = yield proto.callRemote(Everything, **without)
    report("an optional argument left out stays out", got.get("o") is None, repr(got.get("o")))

    # A declared error.
    try:
        yield proto.callRemote(Divide, numerator=1, denominator=0)
        report("a declared error fails with its class", False, "no error")
    except ZeroDivisionError as e:
        report("a declared error fails with its class", True, str(e))
    result = yield proto.callRemote(Divide, numerator=7, denominator=2)
    report("the connection stays after a declared error", result["result"] == 3.5, result)

    # An unknown command.
    try:
        yield proto.callRemote(Nope)
        report("an unknown command is UNHANDLED", False, "no error")
    except amp.UnhandledCommand as e:
        report("an unknown command is UNHANDLED", True, str(e))
    result = yield proto.callRemote(Divide, numerator=1, denominator=4)
    report("the connection stays after UNHANDLED", result["result"] == 0.25, result)

    # Out of order: the slow one is answered after the fast one.
    order = []
    slow = proto.callRemote(Slow, id="slow", delay=0.3).addCallback(lambda r: order.append(r["id"]))
    fast = proto.callRemote(Slow, id="fast", delay=0.0).addCallback(lambda r: order.append(r["id"]))
    yield defer.gatherResults([slow, fast])
    report("answers come out of order", order == ["fast", "slow"], order)

    # requiresAnswer = False.
    none = proto.callRemote(Note, text="noted")
    notes = yield proto.callRemote(Notes)
    report("a command without _ask runs, unanswered", none is None and notes["notes"] == ["noted"],
           notes["notes"])

    # StartTLS: we are the TLS client, verifying the server and presenting our certificate.
    before = yield proto.callRemote(Secure)
    yield proto.callRemote(amp.StartTLS, tls_localCertificate=TLS["client"],
                           tls_verifyAuthorities=[TLS["ca"]])
    after = yield proto.callRemote(Secure)
    ours = interfaces.ISSLTransport.providedBy(proto.transport)
    report("StartTLS upgrades both sides",
           (not before["secure"]) and after["secure"] and ours, [before, after, ours])
    report("StartTLS: we verified theirs", peer_name(proto.transport) == "localhost",
           peer_name(proto.transport))

    # An undeclared error: UNKNOWN, then the server closes the connection.
    try:
        yield proto.callRemote(Boom)
        report("an undeclared error is UNKNOWN", False, "no error")
    except amp.UnknownRemoteError as e:
        report("an undeclared error is UNKNOWN", True, str(e))
    yield proto.lost
    report("the server closes after an undeclared error", True)


def client(port):
    def timed_out():
        report("client ran to the end", False, "timeout")
        reactor.stop()

    timer = reactor.callLater(30, timed_out)

    def done(result):
        timer.cancel()
        report("client ran to the end", True)
        reactor.stop()

    def failed(f):
        timer.cancel()
        report("client ran to the end", False, f.getTraceback())
        reactor.stop()

    reactor.callWhenRunning(lambda: run_client(port).addCallbacks(done, failed))
    reactor.run()


if __name__ == "__main__":
    def errors_to_stderr(event):
        if event.get("isError"):
            sys.stderr.write(log.textFromEventDict(event) + "\n")

    log.startLoggingWithObserver(errors_to_stderr, setStdout=False)
    TLS = tls_files(sys.argv[2])
    if sys.argv[1] == "server":
        serve()
    else:
        client(int(sys.argv[3]))
