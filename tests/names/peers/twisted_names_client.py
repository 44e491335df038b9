# Twisted's names client (Debian python3-twisted) asking a DNS server: each
# lookup's answers (rendered as dig prints their RDATA) or its error's class,
# as one JSON object on stdout.
# Usage: /usr/bin/python3 twisted_names_client.py PORT
import json
import sys

from twisted.internet import defer, task
from twisted.names import client, dns

LOOKUPS = [
    ("lookupAddress", "www.example.com"),
    ("lookupIPV6Address", "ns1.example.com"),
    ("lookupMailExchange", "example.com"),
    ("lookupText", "example.com"),
    ("lookupText", "big.example.com"),
    ("lookupService", "_sip._tcp.example.com"),
    ("lookupNameservers", "example.com"),
    ("lookupAuthority", "example.com"),
    ("lookupAddress", "nothere.example.com"),
    ("lookupAddress", "www.example.org"),
    ("lookupZone", "example.com"),
]


def render(rr):
    p = rr.payload
    if rr.type == dns.A:
        return "A " + p.dottedQuad()
    if rr.type == dns.AAAA:
        import socket

        return "AAAA " + socket.inet_ntop(socket.AF_INET6, p.address)
    if rr.type == dns.MX:
        return "MX %d %s" % (p.preference, p.name.name.decode())
    if rr.type == dns.TXT:
        return "TXT " + "|".join(d.decode() for d in p.data)
    if rr.type == dns.SRV:
        return "SRV %d %d %d %s" % (p.priority, p.weight, p.port, p.target.name.decode())
    if rr.type in (dns.NS, dns.CNAME):
        return "%s %s" % (dns.QUERY_TYPES[rr.type], p.name.name.decode())
    if rr.type == dns.SOA:
        return "SOA %s %d" % (p.mname.name.decode(), p.serial)
    return dns.QUERY_TYPES.get(rr.type, str(rr.type))


@defer.inlineCallbacks
def main(reactor, port):
    resolver = client.Resolver(servers=[("127.0.0.1", int(port))], reactor=reactor)
    out = {}
    for method, name in LOOKUPS:
        key = "%s %s" % (method, name)
        try:
            # lookupZone takes one timeout; the others a sequence of them.
            timeout = 5 if method == "lookupZone" else (5,)
            answers, authority, additional = yield getattr(resolver, method)(name, timeout=timeout)
            out[key] = [render(rr) for rr in answers]
        except Exception as e:
            out[key] = type(e).__name__
    print(json.dumps(out), flush=True)


task.react(main, sys.argv[1:])
