# A client for tests/mail/imap4/twisted_interop_test.ts: Twisted's IMAP4Client against
# our server. usage: twisted_peer.py PORT; prints one JSON object.
import json, sys
from twisted.internet import defer, endpoints, protocol, reactor, task
from twisted.mail import imap4

port = int(sys.argv[1])
out = {}

def b2s(x):
    if isinstance(x, bytes):
        return x.decode("utf-8", "replace")
    if isinstance(x, (list, tuple)):
        return [b2s(i) for i in x]
    if isinstance(x, dict):
        return {str(b2s(k)): b2s(v) for k, v in x.items()}
    return x

@defer.inlineCallbacks
def main(r):
    ep = endpoints.TCP4ClientEndpoint(reactor, "127.0.0.1", port)
    factory = protocol.Factory.forProtocol(imap4.IMAP4Client)
    client = yield ep.connect(factory)
    caps = yield client.getCapabilities()
    out["caps"] = sorted(b2s(list(caps.keys())))
    yield client.login(b"alice", b"secret")
    out["list"] = b2s((yield client.list("", "*")))
    out["select"] = b2s({k: v for k, v in (yield client.select("INBOX")).items() if k != "PERMANENTFLAGS"})
    out["flags"] = b2s((yield client.fetchFlags("1:*")))
    out["uid"] = b2s((yield client.fetchUID("1:*")))
    out["size"] = b2s((yield client.fetchSize("1")))
    out["body"] = b2s((yield client.fetchSpecific("1", peek=True)))
    out["header"] = b2s((yield client.fetchSpecific("1", headerType="HEADER.FIELDS", headerArgs=["SUBJECT"], peek=True)))
    out["envelope"] = b2s((yield client.fetchEnvelope("2")))
    out["bodystructure"] = b2s((yield client.fetchBodyStructure("2")))
    out["search"] = b2s((yield client.search(imap4.Query(unseen=True))))
    out["store"] = b2s((yield client.addFlags("1", ["\\Seen"], silent=False)))
    yield client.create("Copies")
    yield client.copy("1:2", "Copies", False)
    out["status"] = b2s((yield client.status("Copies", "MESSAGES")))
    yield client.append("INBOX", __import__("io").BytesIO(b"Subject: from twisted\r\n\r\nhi\r\n"), ("\\Draft",))
    out["noop"] = b2s((yield client.noop()))
    yield client.addFlags("2", ["\\Deleted"], silent=True)
    out["expunge"] = b2s((yield client.expunge()))
    yield client.logout()

def done(_):
    print(json.dumps(out))

task.react(lambda r: main(r).addCallback(done))
