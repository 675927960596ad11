#!/usr/bin/env python3
"""A fake upstream nameserver for the embedded DNS tests (issue 16).

    fake-dns.py ADDRESS LOG READY NAME=IP...

Answers A queries for the NAMEs given (TTL 60), NXDOMAIN for any other
name, over UDP and TCP on ADDRESS:53; appends "udp|tcp NAME TYPE" to LOG
for each query ("udp|tcp junk LENGTH" for what is no query) and creates
READY once it listens.  It binds one address
of a namespace the test made, so nothing reaches the real network."""
import socket
import socketserver
import struct
import sys
import threading

ADDRESS, LOG, READY = sys.argv[1], sys.argv[2], sys.argv[3]
RECORDS = dict(a.split("=", 1) for a in sys.argv[4:])
lock = threading.Lock()


def log(line):
    with lock, open(LOG, "a") as f:
        f.write(line + "\n")


def answer(query, proto):
    if len(query) < 12:
        log(f"{proto} junk {len(query)}")
        return None
    qid, flags, qdcount = struct.unpack(">HHH", query[:6])
    if flags & 0x8000 or qdcount != 1:
        log(f"{proto} junk {len(query)}")
        return None
    off, labels = 12, []
    while off < len(query) and query[off]:
        n = query[off]
        labels.append(query[off + 1:off + 1 + n].decode("ascii", "replace"))
        off += 1 + n
    off += 1
    if off + 4 > len(query):
        return None
    qtype, _ = struct.unpack(">HH", query[off:off + 4])
    qend = off + 4
    name = ".".join(labels).lower()
    log(f"{proto} {name} {qtype}")
    ip = RECORDS.get(name)
    rcode = 0 if ip else 3
    answers = 1 if ip and qtype == 1 else 0
    reply = struct.pack(">HHHHHH", qid, 0x8180 | (flags & 0x0100) | rcode, 1, answers, 0, 0)
    reply += query[12:qend]
    if answers:
        reply += struct.pack(">HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton(ip)
    return reply


class Udp(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        reply = answer(data, "udp")
        if reply:
            sock.sendto(reply, self.client_address)


class Tcp(socketserver.StreamRequestHandler):
    def handle(self):
        while True:
            head = self.rfile.read(2)
            if len(head) < 2:
                return
            data = self.rfile.read(struct.unpack(">H", head)[0])
            reply = answer(data, "tcp")
            if reply:
                self.wfile.write(struct.pack(">H", len(reply)) + reply)


socketserver.ThreadingUDPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer.allow_reuse_address = True
udp = socketserver.ThreadingUDPServer((ADDRESS, 53), Udp)
tcp = socketserver.ThreadingTCPServer((ADDRESS, 53), Tcp)
for server in (udp, tcp):
    threading.Thread(target=server.serve_forever, daemon=True).start()
open(READY, "w").close()
threading.Event().wait()
