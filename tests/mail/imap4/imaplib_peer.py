# A client for tests/mail/imap4/imaplib_interop_test.ts: Python's imaplib against a
# running `tw mail --imap` (STARTTLS, then every command the test checks), smtplib
# delivering while IMAP IDLEs. usage: imaplib_peer.py IMAP_PORT SMTP_PORT CAFILE NEWDIR
# Prints one JSON object.
import imaplib, json, os, re, smtplib, ssl, sys, time

imap_port, smtp_port, ca, newdir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
imaplib.Commands.setdefault("MOVE", ("SELECTED",))
imaplib.Commands.setdefault("ID", ("NONAUTH", "AUTH", "SELECTED"))
out = {}

def s(x):
    return x.decode("utf-8", "replace") if isinstance(x, bytes) else x

def flat(data):
    return [s(d) if not isinstance(d, tuple) else [s(d[0]), s(d[1])] for d in data]

M = imaplib.IMAP4("127.0.0.1", imap_port, timeout=20)
out["caps_before"] = sorted(M.capabilities)
try:
    M.login("alice@example.com", "secret")
    out["login_before_tls"] = "accepted"
except imaplib.IMAP4.error as e:
    out["login_before_tls"] = s(e.args[0])
M.starttls(ssl_context=ctx)
out["caps_after"] = sorted(M.capabilities)
try:
    M.login("alice@example.com", "wrong")
    out["bad_login"] = "accepted"
except imaplib.IMAP4.error as e:
    out["bad_login"] = s(e.args[0])
out["login"] = s(M.login("alice@example.com", "secret")[0])

msg1 = b"From: Alice <alice@example.com>\r\nTo: bob@example.com\r\nSubject: first\r\n\r\nhello one\r\n"
msg2 = b"Subject: second\r\nX-Tag: blue\r\n\r\nbody two \xc3\xa9\r\n"
out["append1"] = flat(M.append("INBOX", r"(\Flagged)", imaplib.Time2Internaldate(1600000000), msg1)[1])
out["append2"] = flat(M.append("INBOX", None, None, msg2)[1])
typ, data = M.select("INBOX")
out["select"] = [s(typ), flat(data)]
out["uidvalidity"] = flat(M.response("UIDVALIDITY")[1])
typ, data = M.fetch("1:*", "(UID FLAGS RFC822.SIZE BODY.PEEK[])")
sizes = []
for item in data:
    if isinstance(item, tuple):
        size = int(re.search(rb"RFC822.SIZE (\d+)", item[0]).group(1))
        sizes.append([size, len(item[1]), item[1] == (msg1 if len(sizes) == 0 else msg2)])
out["sizes"] = sizes
out["fetch_flags_peek"] = flat(M.fetch("1:2", "(FLAGS)")[1])
M.fetch("2", "(BODY[TEXT])")
out["fetch_flags_after"] = flat(M.fetch("2", "(FLAGS)")[1])
out["header_fields"] = flat(M.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")[1])
out["envelope"] = flat(M.fetch("1", "(ENVELOPE)")[1])
out["search_unseen"] = flat(M.search(None, "UNSEEN")[1])
out["search_header"] = flat(M.search(None, "HEADER", "X-Tag", "blue")[1])
out["search_utf8"] = flat(M.search("UTF-8", "BODY", "two")[1])
out["search_or"] = flat(M.search(None, "OR", "FLAGGED", "SUBJECT", "second")[1])
out["uid_search"] = flat(M.uid("SEARCH", None, "ALL")[1])
out["store"] = flat(M.store("1", "+FLAGS", r"(\Answered)")[1])
out["uid_store"] = flat(M.uid("STORE", "2", "-FLAGS", r"(\Seen)")[1])
out["uid_fetch"] = flat(M.uid("FETCH", "1:*", "(FLAGS)")[1])
out["create"] = s(M.create("Archive")[0])
out["list"] = flat(M.list()[1])
typ, data = M.copy("1", "Archive")
out["copy"] = [s(typ)] + flat(data)
out["uid_copy"] = s(M.uid("COPY", "2", "Archive")[0])
out["status"] = flat(M.status("Archive", "(MESSAGES UIDNEXT UNSEEN)")[1])
out["subscribe"] = s(M.subscribe("Archive")[0])
out["lsub"] = flat(M.lsub()[1])
out["rename"] = s(M.rename("Archive", "Old")[0])
out["namespace"] = flat(M.namespace()[1])
out["move"] = s(M.uid("MOVE", "2", "Old")[0])
M.store("1", "+FLAGS", r"(\Deleted)")
out["expunge"] = flat(M.expunge()[1])
typ, data = M.select("Old", readonly=True)
out["examine"] = [s(typ), flat(data), flat(M.response("READ-ONLY")[1])]
typ, data = M.store("1", "+FLAGS", r"(\Seen)")
out["examine_store"] = s(typ) + " " + " ".join(flat(data))
M.select("INBOX")

# IDLE (imaplib of Python 3.11 has no idle(): by hand).
def idle_until(pattern, deadline):
    while time.time() < deadline:
        line = M.readline()
        if re.search(pattern, line):
            return s(line).strip()
    return None

tag = M._new_tag()
M.send(tag + b" IDLE\r\n")
out["idle_start"] = s(M.readline()).strip()
t0 = time.time()
with smtplib.SMTP("127.0.0.1", smtp_port, timeout=20) as smtp:
    smtp.sendmail("x@example.org", ["alice@example.com"], b"Subject: pushed\r\n\r\nby smtp\r\n")
out["idle_smtp"] = idle_until(rb"^\* \d+ EXISTS", time.time() + 10)
out["idle_smtp_seconds"] = time.time() - t0
t0 = time.time()
name = "%d.M1P1Q1.dropped" % int(time.time())
with open(os.path.join(newdir, "..", "tmp", name), "wb") as f:
    f.write(b"Subject: dropped\r\n\r\nby a file\r\n")
os.rename(os.path.join(newdir, "..", "tmp", name), os.path.join(newdir, name))
out["idle_file"] = idle_until(rb"^\* \d+ EXISTS", time.time() + 10)
out["idle_file_seconds"] = time.time() - t0
M.send(b"DONE\r\n")
out["idle_done"] = idle_until(tag + rb" OK", time.time() + 10)
out["after_idle"] = flat(M.search(None, "ALL")[1])
out["logout"] = s(M.logout()[0])
print(json.dumps(out))
