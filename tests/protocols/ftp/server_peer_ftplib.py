"""Python's ftplib against the FTP server (run by server_ftplib_interop_test.ts).

argv: host port ca mode(plain|tls) data(passive|active) upload-file
Prints one JSON object with what each step saw.
"""
import ftplib
import hashlib
import io
import json
import ssl
import sys

host, port, ca, mode, data, upload = sys.argv[1:7]
out = {}
if mode == "tls":
    ctx = ssl.create_default_context(cafile=ca)
    f = ftplib.FTP_TLS(context=ctx, timeout=20)
else:
    f = ftplib.FTP(timeout=20)
f.encoding = "utf-8"
out["welcome"] = f.connect(host, int(port))
if mode == "tls":
    out["auth"] = f.auth()
out["login"] = f.login("alice", "secret")
if mode == "tls":
    out["prot"] = f.prot_p()
f.set_pasv(data == "passive")
out["feat"] = f.sendcmd("FEAT").splitlines()
blob = open(upload, "rb").read()
out["mkd"] = f.mkd("dossier é")
out["cwd"] = f.cwd("dossier é")
out["pwd"] = f.pwd()
out["stor"] = f.storbinary("STOR ünï.bin", io.BytesIO(blob))
out["size"] = f.size("ünï.bin")
out["mdtm"] = f.sendcmd("MDTM ünï.bin")
got = io.BytesIO()
out["retr"] = f.retrbinary("RETR ünï.bin", got.write)
out["retr_md5"] = hashlib.md5(got.getvalue()).hexdigest()
rest = io.BytesIO()
f.retrbinary("RETR ünï.bin", rest.write, rest=1000)
out["rest_md5"] = hashlib.md5(rest.getvalue()).hexdigest()
out["appe"] = f.storbinary("APPE ünï.bin", io.BytesIO(b"tail"))
out["size_after_appe"] = f.size("ünï.bin")
out["storlines"] = f.storlines("STOR lines.txt", io.BytesIO(b"one\ntwo\n"))
lines = []
f.retrlines("RETR lines.txt", lines.append)
out["retrlines"] = lines
out["nlst"] = sorted(f.nlst())
out["mlsd"] = sorted([name, facts["type"], facts.get("size")] for name, facts in f.mlsd())
listing = []
f.retrlines("LIST", listing.append)
out["list"] = listing
out["cdup"] = f.sendcmd("CDUP")
# ABOR in the middle of a download: 426, then 226, and the session goes on.
conn = f.transfercmd("RETR abort.bin")
conn.recv(65536)
out["abort"] = f.abort()
out["after_abort"] = f.getresp() if out["abort"].startswith("426") else None
conn.close()
out["noop"] = f.voidcmd("NOOP")
out["rename"] = f.rename("dossier é/lines.txt", "moved.txt")
out["delete"] = f.delete("moved.txt")
out["delete_dir_file"] = f.delete("dossier é/ünï.bin")
out["rmd"] = f.rmd("dossier é")
try:
    f.retrbinary("RETR ../../etc/passwd", lambda b: None)
    out["escape"] = "allowed"
except ftplib.error_perm as e:
    out["escape"] = str(e)
out["quit"] = f.quit()
print(json.dumps(out))
