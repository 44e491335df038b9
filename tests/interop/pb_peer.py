"""A Twisted Perspective Broker peer for tests/interop/pb_twisted_test.ts (Debian
python3-twisted, run by /usr/bin/python3).

    pb_peer.py server                  listens on 127.0.0.1 twice (a root object, and a
                                       portal), prints "PORTS <root> <login>", serves until
                                       its stdin closes
    pb_peer.py client <root> <login>   calls our servers: prints one JSON line per check,
                                       {"check": name, "ok": bool, "detail": ...}, then exits

Both sides define the same objects as the TypeScript test: a root with add, echo, thing,
isThing, point, counter, bump, refuse, crash, callMeBack, slow and isLent; copies tagged
"tests.Point"; caches tagged "tests.Counter"; avatars with whoami and board (a Viewable
whose whoCalls names the caller); the user alice / secret and anonymous logins.
"""
import gc
import json
import sys

from twisted.cred import checkers, credentials, error, portal
from twisted.internet import defer, protocol, reactor, stdio, task
from twisted.spread import pb
from zope.interface import implementer


class Point(pb.Copyable):
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def getTypeToCopy(self):
        return b"tests.Point"


class PointCopy(pb.RemoteCopy):
    pass


pb.setUnjellyableForClass(b"tests.Point", PointCopy)


class Counter(pb.Cacheable):
    def __init__(self):
        self.value = 0
        self.observers = []

    def getTypeToCopy(self):
        return b"tests.Counter"

    def getStateToCacheAndObserveFor(self, perspective, observer):
        self.observers.append(observer)
        return {"value": self.value}

    def stoppedObserving(self, perspective, observer):
        self.observers.remove(observer)

    def bump(self):
        self.value += 1
        for o in self.observers:
            o.callRemote("setValue", self.value)


class CounterCache(pb.RemoteCache):
    def observe_setValue(self, value):
        self.value = value


pb.setUnjellyableForClass(b"tests.Counter", CounterCache)


class Thing(pb.Referenceable):
    calls = 0

    def remote_poke(self):
        self.calls += 1
        return self.calls


class Service(pb.Root):
    def __init__(self):
        self.thing = Thing()
        self.counter = Counter()

    def rootObject(self, broker):
        self.broker = broker
        return self

    def remote_add(self, a, b):
        return a + b

    def remote_echo(self, *args, **kw):
        return [list(args), kw]

    def remote_thing(self):
        return self.thing

    def remote_isThing(self, x):
        return x is self.thing

    def remote_point(self):
        return Point(3, 4)

    def remote_counter(self):
        return self.counter

    def remote_bump(self):
        self.counter.bump()
        return self.counter.value

    def remote_refuse(self):
        raise pb.Error("refused")

    def remote_crash(self):
        raise ValueError("crashed")

    def remote_callMeBack(self, callback):
        return callback.callRemote("hello", "python")

    def remote_slow(self, name, delay):
        return task.deferLater(reactor, delay, lambda: name)

    def remote_isLent(self, luid):
        gc.collect()
        return self.broker.localObjectForID(luid) is not None


class Board(pb.Viewable):
    def view_whoCalls(self, perspective):
        return perspective.name


BOARD = Board()


class User(pb.Avatar):
    def __init__(self, name):
        self.name = name

    def perspective_whoami(self):
        return self.name

    def perspective_board(self):
        return BOARD


@implementer(portal.IRealm)
class Realm:
    def requestAvatar(self, avatarId, mind, *interfaces):
        name = "guest" if avatarId is checkers.ANONYMOUS else avatarId.decode()
        return pb.IPerspective, User(name), lambda: None


def make_portal():
    users = checkers.InMemoryUsernamePasswordDatabaseDontUse(alice=b"secret")
    return portal.Portal(Realm(), [users, checkers.AllowAnonymousAccess()])


class Callback(pb.Referenceable):
    def remote_hello(self, text):
        return "hello " + text


class StopOnEOF(protocol.Protocol):
    def connectionLost(self, reason):
        if reactor.running:
            reactor.stop()


def serve():
    root = reactor.listenTCP(0, pb.PBServerFactory(Service()), interface="127.0.0.1")
    login = reactor.listenTCP(0, pb.PBServerFactory(make_portal()), interface="127.0.0.1")
    print("PORTS", root.getHost().port, login.getHost().port, flush=True)
    stdio.StandardIO(StopOnEOF())
    reactor.run()


def caught(d):
    """A one-item list: the failure of d, or None if it succeeded (a Failure returned
    from a callback would fail the Deferred again, so it travels in a list)."""
    return d.addCallbacks(lambda _: [None], lambda f: [f])


def report(name, ok, detail=None):
    print(json.dumps({"check": name, "ok": bool(ok), "detail": repr(detail)}), flush=True)


@defer.inlineCallbacks
def checks(root_port, login_port):
    factory = pb.PBClientFactory()
    reactor.connectTCP("127.0.0.1", root_port, factory)
    root = yield factory.getRootObject()

    got = yield root.callRemote("add", 1, 2)
    report("add", got == 3, got)

    got = yield root.callRemote("echo", 1, "é", b"\x00\xff", [1, [2]], {"a": None}, 2**70, 1.5, k="v")
    want = [[1, "é", b"\x00\xff", [1, [2]], {"a": None}, 2**70, 1.5], {"k": "v"}]
    report("echo with keywords", got == want, got)

    thing = yield root.callRemote("thing")
    got = yield thing.callRemote("poke")
    report("referenceable", got == 1, got)
    got = yield root.callRemote("isThing", thing)
    report("reference sent back", got is True, got)
    luid = thing.luid
    del thing
    gc.collect()
    got = yield root.callRemote("isLent", luid)
    report("decref on release", got is False, got)

    point = yield root.callRemote("point")
    report("copy", isinstance(point, PointCopy) and (point.x, point.y) == (3, 4), vars(point))

    cache = yield root.callRemote("counter")
    before = cache.value
    bumped = yield root.callRemote("bump")
    report("cache observed", (before, bumped, cache.value) == (0, 1, 1), (before, bumped, cache.value))
    again = yield root.callRemote("counter")
    report("cache sent again", again.value == 1 and isinstance(again, CounterCache), vars(again))

    def trapped(failure, *types):
        return failure.check(*types) is not None

    d = root.callRemote("refuse")
    (f,) = yield caught(d)
    report("pb.Error", f is not None and trapped(f, pb.Error) and f.value == "refused", f and (f.type, f.value))

    d = root.callRemote("crash")
    (f,) = yield caught(d)
    report("TypeError", f is not None and trapped(f, TypeError) and f.value == "crashed", f and (f.type, f.value))

    d = root.callRemote("nope")
    (f,) = yield caught(d)
    report("NoSuchMethod", f is not None and trapped(f, pb.NoSuchMethod), f and (f.type, f.value))

    got = yield root.callRemote("callMeBack", Callback())
    report("callback", got == "hello ts", got)

    order = []
    slow = root.callRemote("slow", "slow", 0.3).addCallback(order.append)
    fast = root.callRemote("slow", "fast", 0.01).addCallback(order.append)
    yield defer.gatherResults([slow, fast])
    report("answers out of order", order == ["fast", "slow"], order)

    factory.disconnect()

    login = pb.PBClientFactory()
    reactor.connectTCP("127.0.0.1", login_port, login)
    avatar = yield login.login(credentials.UsernamePassword(b"alice", b"secret"))
    got = yield avatar.callRemote("whoami")
    report("login", got == "alice", got)
    board = yield avatar.callRemote("board")
    got = yield board.callRemote("whoCalls")
    report("viewable", got == "alice", got)
    d = login.login(credentials.UsernamePassword(b"alice", b"wrong"))
    (f,) = yield caught(d)
    report("bad password", f is not None and trapped(f, error.UnauthorizedLogin), f and (f.type, f.value))
    guest = yield login.login(credentials.Anonymous())
    got = yield guest.callRemote("whoami")
    report("anonymous", got == "guest", got)
    login.disconnect()


def client(root_port, login_port):
    def done(result):
        if result is not None and hasattr(result, "getTraceback"):
            report("client", False, result.getTraceback())
        reactor.stop()

    reactor.callWhenRunning(lambda: checks(root_port, login_port).addBoth(done))
    reactor.run()


if __name__ == "__main__":
    if sys.argv[1] == "server":
        serve()
    else:
        client(int(sys.argv[2]), int(sys.argv[3]))
