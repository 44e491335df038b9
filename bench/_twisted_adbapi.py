# Twisted's adbapi.ConnectionPool over sqlite3, for adbapi_bench.ts: a
# primary-key lookup with INFLIGHT queries in flight for SECONDS; prints
# "QPS <n>". Usage: python3 _twisted_adbapi.py DB SECONDS INFLIGHT CONNECTIONS
import random
import sys
import time

from twisted.enterprise import adbapi
from twisted.internet import defer, reactor, task

db, seconds, inflight, connections = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ROWS = 10000


@defer.inlineCallbacks
def main():
    pool = adbapi.ConnectionPool(
        "sqlite3", db, check_same_thread=False, cp_min=connections, cp_max=connections
    )
    yield pool.runQuery("SELECT 1")
    done = [0]
    deadline = time.monotonic() + seconds

    @defer.inlineCallbacks
    def client():
        while time.monotonic() < deadline:
            key = "k%d" % random.randrange(ROWS)
            rows = yield pool.runQuery("SELECT value FROM kv WHERE key = ?", (key,))
            assert rows[0][0] == "v" + key[1:]
            done[0] += 1

    start = time.monotonic()
    yield defer.gatherResults([client() for _ in range(inflight)])
    elapsed = time.monotonic() - start
    pool.close()
    print("QPS %d" % (done[0] / elapsed))


def run():
    d = main()
    d.addErrback(lambda f: (f.printTraceback(), None))
    d.addBoth(lambda _: reactor.stop())


reactor.callWhenRunning(run)
reactor.run()
