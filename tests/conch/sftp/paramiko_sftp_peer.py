# paramiko's SFTPClient against FileTransferServer (driven by sftp_interop_test.ts).
# Usage: paramiko_sftp_peer.py PORT USER PASSWORD LOCAL_FOLDER; prints a JSON report.
import hashlib
import json
import os
import sys

import paramiko


def step(name):
    print("step " + name, file=sys.stderr, flush=True)


port, user, password, local = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
transport = paramiko.Transport(("127.0.0.1", port))
transport.connect(username=user, password=password)
sftp = paramiko.SFTPClient.from_transport(transport)
report = {}
data = os.urandom(4 * 1024 * 1024)
with open(os.path.join(local, "pm.src"), "wb") as f:
    f.write(data)
step("put")
sftp.put(os.path.join(local, "pm.src"), "pm.bin")
step("get")
sftp.get("pm.bin", os.path.join(local, "pm.back"))
with open(os.path.join(local, "pm.back"), "rb") as f:
    report["roundtrip"] = hashlib.sha256(f.read()).hexdigest() == hashlib.sha256(data).hexdigest()
step("stat")
report["size"] = sftp.stat("pm.bin").st_size
sftp.mkdir("pmdir", 0o750)
sftp.symlink("../pm.bin", "pmdir/link")
report["readlink"] = sftp.readlink("pmdir/link")
report["link_size"] = sftp.stat("pmdir/link").st_size
step("rename")
sftp.rename("pm.bin", "pm.renamed")
sftp.posix_rename("pm.renamed", "pm.final")
sftp.chmod("pm.final", 0o600)
sftp.utime("pm.final", (1000, 2000))
attrs = sftp.stat("pm.final")
report["mode"] = attrs.st_mode & 0o777
report["mtime"] = attrs.st_mtime
report["listing"] = sorted(a.filename for a in sftp.listdir_attr("."))
report["cwd"] = sftp.normalize(".")
try:
    sftp.stat("missing")
    report["missing"] = "found"
except FileNotFoundError:
    report["missing"] = "ENOENT"
step("open")
with sftp.open("pm.final", "r") as f:
    f.seek(100)
    report["seek_read"] = len(f.read(10))
step("cleanup")
sftp.remove("pmdir/link")
sftp.rmdir("pmdir")
sftp.close()
transport.close()
print(json.dumps(report))
