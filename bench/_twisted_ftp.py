"""Twisted's FTP server for bench/ftp_bench.ts: FTPFactory with FTPRealm and a checker that
works on Python 3 (an in-memory one with str passwords; twistd ftp's --password-file and
--auth file: both fail, #10209, #11854). Prints READY <port>.

argv: port anonymous-root user-home user password
"""
import sys

from twisted.cred.checkers import InMemoryUsernamePasswordDatabaseDontUse
from twisted.cred.portal import Portal
from twisted.internet import reactor
from twisted.protocols.ftp import FTPFactory, FTPRealm

port, root, homes, user, password = sys.argv[1:6]
checker = InMemoryUsernamePasswordDatabaseDontUse()
checker.addUser(user, password)
portal = Portal(FTPRealm(root, homes), [checker])
factory = FTPFactory(portal)
listening = reactor.listenTCP(int(port), factory, interface="127.0.0.1")
print("READY", listening.getHost().port, flush=True)
reactor.run()
