# A POP3 client for the interop tests: Python's poplib against our server.
# usage: pop3_peer_poplib.py PORT CAFILE MODE USER PASSWORD
# MODE: user | apop | stls. Prints JSON: capabilities, stat, list, uidl, top, retr,
# and after DELE 1 + QUIT, a second session's stat.
import json
import poplib
import ssl
import sys

port, cafile, mode, user, password = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]


def login():
    p = poplib.POP3("127.0.0.1", int(port), timeout=20)
    if mode == "stls":
        ctx = ssl.create_default_context(cafile=cafile)
        ctx.check_hostname = False
        p.stls(context=ctx)
    if mode == "apop":
        p.apop(user, password)
    else:
        p.user(user)
        p.pass_(password)
    return p


out = {}
p = login()
out["capa"] = sorted(p.capa().keys())
out["stat"] = list(p.stat())
out["list"] = [x.decode() for x in p.list()[1]]
out["uidl"] = [x.decode() for x in p.uidl()[1]]
resp, lines, octets = p.top(1, 1)
out["top"] = [x.decode("latin1") for x in lines]
retr = []
for i in range(1, out["stat"][0] + 1):
    resp, lines, octets = p.retr(i)
    retr.append({"resp": resp.decode(), "lines": [x.decode("latin1") for x in lines], "octets": octets})
out["retr"] = retr
out["dele"] = p.dele(1).decode()
out["quit"] = p.quit().decode()
p = login()
out["after"] = list(p.stat())
p.quit()
print(json.dumps(out))
