# A client for tests/mail/mail_plugin_test.ts: talks to a running `tw mail` with Python's
# smtplib and poplib. usage: mail_peer.py SMTP_PORT POP3_PORT CAFILE; prints JSON.
import json, poplib, smtplib, ssl, sys

smtp_port, pop3_port, ca = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
out = {}
message = b"Subject: from smtplib\r\n\r\nline one\r\n.leading dot\r\n\xc3\xa9 8bit\r\n"

# Anonymous: local delivery yes, relaying no.
with smtplib.SMTP("127.0.0.1", smtp_port, timeout=20) as s:
    s.ehlo("py.test")
    out["features"] = sorted(s.esmtp_features)
    refused = {}
    try:
        refused = s.sendmail("anon@example.org", ["alice@example.com", "x@remote.example"], message)
    except smtplib.SMTPRecipientsRefused as e:
        refused = e.recipients
    out["anon_refused"] = {k: v[0] for k, v in refused.items()}

# STARTTLS, then AUTH PLAIN as a domain user; relaying allowed.
with smtplib.SMTP("127.0.0.1", smtp_port, timeout=20) as s:
    s.ehlo("py.test")
    out["starttls"] = s.starttls(context=ctx)[0]
    s.ehlo("py.test")
    out["auth"] = s.esmtp_features.get("auth", "")
    s.esmtp_features["auth"] = "PLAIN"
    out["login"] = s.login("alice@example.com", "secret")[0]
    refused = s.sendmail("alice@example.com", ["alice@example.com", "y@remote.example"], message)
    out["auth_refused"] = {k: v[0] for k, v in refused.items()}

# POP3 with STLS as alice@example.com: both messages, then DELE at QUIT.
p = poplib.POP3("127.0.0.1", pop3_port, timeout=20)
p.stls(context=ctx)
p.user("alice@example.com")
p.pass_("secret")
out["stat"] = list(p.stat())
out["retr"] = [[x.decode("utf-8") for x in p.retr(i)[1]] for i in range(1, out["stat"][0] + 1)]
p.dele(1)
p.quit()
p = poplib.POP3("127.0.0.1", pop3_port, timeout=20)
out["apop"] = p.apop("alice@example.com", "secret").decode()
out["apop_stat"] = list(p.stat())
p.quit()
p = poplib.POP3("127.0.0.1", pop3_port, timeout=20)
try:
    p.user("alice@example.com")
    p.pass_("wrong")
    out["bad_login"] = "accepted"
except poplib.error_proto as e:
    out["bad_login"] = e.args[0].decode()
p.quit()
print(json.dumps(out))
