# A Python smtplib client for tests/mail/smtp_interop_test.ts: sends one message through our
# ESMTP server with STARTTLS (verified against the test CA) and AUTH, prints JSON results.
import json, smtplib, ssl, sys

port, ca, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
message = b"Subject: interop\r\n\r\nline one\r\n.leading dot\r\n\xc3\xa9 8bit\r\n"
out = {}
with smtplib.SMTP("127.0.0.1", port, timeout=20) as s:
    s.ehlo("py.test")
    out["features"] = sorted(s.esmtp_features)
    if mode.startswith("tls"):
        ctx = ssl.create_default_context(cafile=ca)
        ctx.check_hostname = False
        out["starttls"] = s.starttls(context=ctx)[0]
        s.ehlo("py.test")
        out["features_tls"] = sorted(s.esmtp_features)
        out["auth"] = s.esmtp_features.get("auth", "")
        if mode != "tls":
            # Force one mechanism (smtplib would pick CRAM-MD5 first).
            s.esmtp_features["auth"] = mode[4:]
        out["login"] = s.login("alice", "secret")[0]
    refused = s.sendmail("sender@example.org", ["rcpt@example.net", "nobody@example.net"] if mode.startswith("tls") else ["rcpt@example.net"], message)
    out["refused"] = {k: v[0] for k, v in refused.items()}
print(json.dumps(out))
