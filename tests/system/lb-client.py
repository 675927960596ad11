#!/usr/bin/env python3
"""A tiny load client for the replicas tests (issue 16): N new TCP
connections to HOST:PORT, one HTTP/1.0 GET each, W at a time; prints one
line per distinct body ("COUNT BODY") and "failed COUNT".

  lb-client.py HOST PORT N [W]          N connections, then the counts
  lb-client.py HOST PORT until FILE [W] until FILE exists (a bounded
                                        load during an update); FILE.ready
                                        once the first answer came
"""
import os
import socket
import sys
import threading
from collections import Counter

host, port, what = sys.argv[1], int(sys.argv[2]), sys.argv[3]
stop_file = sys.argv[4] if what == "until" else None
total = None if stop_file else int(what)
workers = int(sys.argv[5] if stop_file else (sys.argv[4] if len(sys.argv) > 4 else 8))
lock = threading.Lock()
counts, failed, started = Counter(), [0], [0]
errors = Counter()


def one():
    s = socket.create_connection((host, port), timeout=5)
    try:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.") or b" 200 " not in head.split(b"\r\n")[0]:
        raise OSError("bad reply %r" % head[:40])
    return body.decode(errors="replace").strip()


def work():
    while True:
        with lock:
            if stop_file is None and started[0] >= total:
                return
            started[0] += 1
        if stop_file is not None and os.path.exists(stop_file):
            return
        try:
            body = one()
            with lock:
                counts[body] += 1
                if stop_file is not None and sum(counts.values()) == 1:
                    open(stop_file + ".ready", "w").close()
        except OSError as e:
            with lock:
                failed[0] += 1
                errors[str(e)[:60]] += 1


threads = [threading.Thread(target=work) for _ in range(workers)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for body, n in sorted(counts.items()):
    print(n, body)
print("failed", failed[0])
for e, n in errors.most_common(3):
    print("#", n, e, file=sys.stderr)
