"""An HTTP/2 client made with python3-h2 (hyper-h2), for the interop tests.

usage: h2_client_peer.py PORT MODE
  requests: three GETs and a POST on one connection; prints one JSON line
  reset:    a Rapid Reset flood (HEADERS then RST_STREAM, 2000 times);
            prints the GOAWAY error code it got, or "none"
"""
import json
import socket
import sys

import h2.config
import h2.connection
import h2.events


def connect(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    return sock, conn


def headers(path, method="GET"):
    return [(":method", method), (":scheme", "http"), (":authority", "localhost"), (":path", path)]


def requests(port):
    sock, conn = connect(port)
    ids = []
    for path in ("/app/a", "/app/b", "/app/c"):
        sid = conn.get_next_available_stream_id()
        conn.send_headers(sid, headers(path), end_stream=True)
        ids.append(sid)
    sid = conn.get_next_available_stream_id()
    body = b"x" * 100000
    conn.send_headers(sid, headers("/app/post", "POST") + [("content-length", str(len(body)))])
    ids.append(sid)
    sent = 0
    sock.sendall(conn.data_to_send())
    results = {i: {"status": None, "body": b""} for i in ids}
    done = set()
    while len(done) < len(ids):
        # Send the POST body as the windows allow.
        while sent < len(body):
            room = min(conn.local_flow_control_window(sid), conn.max_outbound_frame_size)
            if room <= 0:
                break
            chunk = body[sent:sent + room]
            sent += len(chunk)
            conn.send_data(sid, chunk, end_stream=sent == len(body))
        sock.sendall(conn.data_to_send())
        data = sock.recv(65536)
        if not data:
            break
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.ResponseReceived):
                results[event.stream_id]["status"] = dict(event.headers)[b":status"].decode()
            elif isinstance(event, h2.events.DataReceived):
                results[event.stream_id]["body"] += event.data
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                done.add(event.stream_id)
            elif isinstance(event, h2.events.StreamReset):
                results[event.stream_id]["status"] = "reset"
                done.add(event.stream_id)
        sock.sendall(conn.data_to_send())
    conn.close_connection()
    sock.sendall(conn.data_to_send())
    sock.close()
    print(json.dumps([[results[i]["status"], results[i]["body"].decode()[:60], len(results[i]["body"])] for i in ids]))


def reset(port):
    sock, conn = connect(port)
    code = "none"
    try:
        for _ in range(2000):
            sid = conn.get_next_available_stream_id()
            conn.send_headers(sid, headers("/app/slow"), end_stream=True)
            conn.reset_stream(sid)
            sock.sendall(conn.data_to_send())
    except OSError:
        pass  # the server closed: its GOAWAY is in our receive buffer
    sock.settimeout(5)
    try:
        while code == "none":
            data = sock.recv(65536)
            if not data:
                break
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ConnectionTerminated):
                    code = event.error_code.name
    except (OSError, h2.exceptions.ProtocolError) as e:
        if code == "none":
            code = "error: " + type(e).__name__
    print(json.dumps(code))


if __name__ == "__main__":
    {"requests": requests, "reset": reset}[sys.argv[2]](int(sys.argv[1]))
