"""Twisted's own FTP server (twisted.protocols.ftp.FTPFactory, FTPRealm, Debian's
python3-twisted) for the FTPClient interop tests, with a checker that works on
Python 3 (InMemoryUsernamePasswordDatabaseDontUse given str keys through addUser:
its keyword constructor encodes names to bytes, which never match): user alice,
password secret, home USER_HOME/alice; anonymous gets ANON_ROOT read-only.
Listens on HOST:0, prints "PORT n", stops when stdin closes.

    client_peer_twisted.py ANON_ROOT USER_HOME HOST
"""
import sys
import threading

from twisted.cred.checkers import AllowAnonymousAccess, InMemoryUsernamePasswordDatabaseDontUse
from twisted.cred.portal import Portal
from twisted.internet import reactor
from twisted.protocols.ftp import FTPFactory, FTPRealm

anon_root, user_home, host = sys.argv[1], sys.argv[2], sys.argv[3]
users = InMemoryUsernamePasswordDatabaseDontUse()
users.addUser("alice", "secret")
portal = Portal(FTPRealm(anon_root, userHome=user_home), [AllowAnonymousAccess(), users])
factory = FTPFactory(portal)
port = reactor.listenTCP(0, factory, interface=host)
print("PORT", port.getHost().port, flush=True)


def wait_for_stdin():
    sys.stdin.read()
    reactor.callFromThread(reactor.stop)


threading.Thread(target=wait_for_stdin, daemon=True).start()
reactor.run()
