"""Twisted's own `twistd manhole` (a Python REPL over telnet, ColoredManhole on
insults) on 127.0.0.1:0: prints "PORT n", stops when stdin closes.

    twisted_manhole_peer.py PASSWORD_FILE   (lines of user:password)
"""
import sys
import threading

from twisted.conch import manhole_tap
from twisted.internet import reactor

options = manhole_tap.Options()
options.parseOptions(["-t", "tcp:0:interface=127.0.0.1", "-p", sys.argv[1]])
service = manhole_tap.makeService(options)
service.startService()
for child in service:
    child._waitingForPort.addCallback(
        lambda port: print("PORT", port.getHost().port, flush=True)
    )


def wait_for_stdin():
    sys.stdin.read()
    reactor.callFromThread(reactor.stop)


threading.Thread(target=wait_for_stdin, daemon=True).start()
reactor.run()
