# The client side of imap_bench.ts: C imaplib clients (processes), each STARTTLS,
# LOGIN, EXAMINE INBOX, then `FETCH 1:* (BODY.PEEK[])`, timed from a common start.
# usage: _imap_client.py PORT USER CAFILE C; prints JSON {"messages", "seconds", "rate"}.
import imaplib, json, multiprocessing as mp, ssl, sys, time

port, user, ca, count = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])

def worker(barrier, results):
    try:
        run(barrier, results)
    except BaseException as e:
        barrier.abort()
        results.put((0, 0.0, 0.0, repr(e)))

def run(barrier, results):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False
    m = imaplib.IMAP4("127.0.0.1", port, timeout=120)
    m.starttls(ssl_context=ctx)
    m.login(user, "secret")
    m.select("INBOX", readonly=True)
    barrier.wait()
    t0 = time.time()
    typ, data = m.fetch("1:*", "(BODY.PEEK[])")
    n = sum(1 for d in data if isinstance(d, tuple))
    results.put((n, t0, time.time(), None))
    m.logout()

if __name__ == "__main__":
    barrier = mp.Barrier(count)
    results = mp.Queue()
    procs = [mp.Process(target=worker, args=(barrier, results)) for _ in range(count)]
    for p in procs:
        p.start()
    got = [results.get(timeout=300) for _ in procs]
    for p in procs:
        p.join()
    errors = [g[3] for g in got if g[3] is not None]
    if errors:
        sys.exit("client failed: %s" % errors[0])
    start = min(g[1] for g in got)
    end = max(g[2] for g in got)
    total = sum(g[0] for g in got)
    print(json.dumps({"messages": total, "seconds": end - start, "rate": total / (end - start)}))
