# Twisted's own words IRC server (Debian python3-twisted), the reference peer for
# irc_bench.ts: IRCFactory over an InMemoryWordsRealm, users u0..u99 with password "pw".
# Usage: /usr/bin/python3 bench/_twisted_words.py. Prints "READY <port>" once listening.
# Twisted's InMemoryUsernamePasswordDatabaseDontUse keys users by bytes while IRCUser logs
# in with str names (Python 3), so a small checker of str names stands in for it.
from zope.interface import implementer

from twisted.cred import checkers, credentials, error, portal
from twisted.internet import defer, reactor
from twisted.words import service

USERS = {"u%d" % i: "pw" for i in range(100)}


@implementer(checkers.ICredentialsChecker)
class StrUsers:
    credentialInterfaces = (credentials.IUsernamePassword,)

    def requestAvatarId(self, creds):
        if USERS.get(creds.username) == creds.password:
            return defer.succeed(creds.username)
        return defer.fail(error.UnauthorizedLogin())


realm = service.InMemoryWordsRealm("bench.irc")
realm.createGroupOnRequest = True
factory = service.IRCFactory(realm, portal.Portal(realm, [StrUsers()]))
factory.noisy = False
port = reactor.listenTCP(0, factory, interface="127.0.0.1")
print("READY %d" % port.getHost().port, flush=True)
reactor.run()
