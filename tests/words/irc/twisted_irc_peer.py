# Twisted's IRCClient (twisted.words.protocols.irc) against a server on 127.0.0.1:PORT:
# alice and bob log in with PASS, join #lobby, talk (with non-ASCII text), set the topic,
# send an ACTION and a private message, and bob parts. Every callback is printed as one
# JSON line "EVENT [...]"; "DONE" at the end. Usage: twisted_irc_peer.py PORT
import json
import sys

from twisted.internet import protocol, reactor
from twisted.words.protocols import irc

PORT = int(sys.argv[1])
clients = {}


def event(*args):
    print("EVENT " + json.dumps(list(args)), flush=True)


class Peer(irc.IRCClient):
    heartbeatInterval = None

    def connectionMade(self):
        self.nickname = self.factory.nick
        self.password = self.factory.nick + "-pw"
        irc.IRCClient.connectionMade(self)

    def signedOn(self):
        clients[self.nickname] = self
        event(self.nickname, "signedOn")
        self.join("lobby")

    def joined(self, channel):
        event(self.nickname, "joined", channel)
        if self.nickname == "alice":
            connect("bob")

    def userJoined(self, user, channel):
        event(self.nickname, "userJoined", user, channel)
        if self.nickname == "bob":
            return
        clients["bob"].say("lobby", "hello from bob: Grüße 🙂")

    def privmsg(self, user, channel, message):
        event(self.nickname, "privmsg", user.split("!")[0], channel, message)
        if self.nickname == "alice" and channel == "#lobby":
            self.topic("#lobby", "new topic ✓")
        elif self.nickname == "bob" and channel == "bob":
            self.leave("#lobby", "bye")

    def topicUpdated(self, user, channel, newTopic):
        event(self.nickname, "topicUpdated", user.split("!")[0], channel, newTopic)
        if self.nickname == "bob" and newTopic:
            self.describe("#lobby", "waves")

    def action(self, user, channel, data):
        event(self.nickname, "action", user.split("!")[0], channel, data)
        self.msg("bob", "private to bob")

    def userLeft(self, user, channel):
        event(self.nickname, "userLeft", user, channel)
        for c in clients.values():
            c.quit("done")
        reactor.callLater(0.5, finish)

    def irc_ERR_PASSWDMISMATCH(self, prefix, params):
        event(self.nickname, "passwdMismatch")


def finish():
    print("DONE", flush=True)
    if reactor.running:
        reactor.stop()


def connect(nick):
    f = protocol.ClientFactory()
    f.protocol = Peer
    f.nick = nick
    reactor.connectTCP("127.0.0.1", PORT, f)


connect("alice")
reactor.callLater(20, finish)
reactor.run()
