"""A python3-h2 server over TLS for the Agent's GOAWAY retry: on the first
connection it waits for three requests, sends GOAWAY(last stream 1) and
answers stream 1 only; later connections answer every request. Prints the
port, then serves until stdin closes. Usage: h2_goaway_peer.py CERT KEY"""
import socket, ssl, sys, threading
import h2.config, h2.connection, h2.events

cert, key = sys.argv[1], sys.argv[2]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.set_alpn_protocols(["h2"])
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(16)
print(listener.getsockname()[1], flush=True)
count = [0]


def serve(sock, first):
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    heads = []
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.RequestReceived):
                    path = dict(event.headers).get(b":path", b"").decode()
                    if first:
                        heads.append(event.stream_id)
                        if len(heads) == 3:
                            conn.send_headers(1, [(":status", "200")])
                            conn.send_data(1, b"first", end_stream=True)
                            conn.close_connection(last_stream_id=1)
                    else:
                        body = ("conn %d %s" % (count[0], path)).encode()
                        conn.send_headers(event.stream_id, [(":status", "200")])
                        conn.send_data(event.stream_id, body, end_stream=True)
            sock.sendall(conn.data_to_send())
    except (OSError, h2.exceptions.ProtocolError):
        return
    finally:
        sock.close()


def accept():
    while True:
        try:
            raw, _ = listener.accept()
        except OSError:
            return
        count[0] += 1
        try:
            sock = ctx.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            continue
        threading.Thread(target=serve, args=(sock, count[0] == 1), daemon=True).start()


threading.Thread(target=accept, daemon=True).start()
sys.stdin.read()
