# paramiko (python3-paramiko) as a client of `tw conch`: exec, 20 channels at once on one
# connection, a pty with window-change, and a password login. Usage: PORT KEYFILE USER PASSWORD.
import sys
import time
import paramiko

port, keyfile, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]


def connect(**kwargs):
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect("127.0.0.1", port=port, username=user, allow_agent=False,
                   look_for_keys=False, timeout=20, **kwargs)
    return client


client = connect(key_filename=keyfile)
transport = client.get_transport()

_, stdout, stderr = client.exec_command("echo hello; echo oops >&2; exit 5")
assert stdout.read() == b"hello\n", "stdout"
assert stderr.read() == b"oops\n", "stderr"
assert stdout.channel.recv_exit_status() == 5, "exit status"
print("exec ok", flush=True)

channels = []
for i in range(20):
    channel = transport.open_session()
    channel.exec_command("echo channel %d" % i)
    channels.append(channel)
for i, channel in enumerate(channels):
    data = b""
    while True:
        chunk = channel.recv(4096)
        if not chunk:
            break
        data += chunk
    assert data == b"channel %d\n" % i, data
    assert channel.recv_exit_status() == 0
print("channels ok %d" % len(channels), flush=True)

channel = transport.open_session()
channel.get_pty(term="xterm-256color", width=100, height=30)
channel.exec_command("stty size; echo $TERM; trap 'stty size; exit 0' WINCH; "
                     "while :; do sleep 0.05; done")
output = b""
deadline = time.time() + 20
while b"xterm-256color" not in output and time.time() < deadline:
    output += channel.recv(4096)
channel.resize_pty(width=120, height=40)
while time.time() < deadline:
    chunk = channel.recv(4096)
    if not chunk:
        break
    output += chunk
status = channel.recv_exit_status()
lines = [line.strip() for line in output.decode().splitlines() if line.strip()]
assert status == 0, (status, lines)
print("pty ok %s -> %s %s" % (lines[0], lines[2], lines[1]), flush=True)
client.close()

client = connect(password=password)
_, stdout, _ = client.exec_command("echo pw")
assert stdout.read() == b"pw\n"
print("password ok", flush=True)
client.close()
