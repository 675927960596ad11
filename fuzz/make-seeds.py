#!/usr/bin/env python3
"""Regenerate the binary seed corpora (image JSON, layer tarballs).

The outputs are committed; run this only to change them:
    python3 fuzz/make-seeds.py
"""
import gzip
import hashlib
import io
import json
import os
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
D = "sha256:" + "a" * 64


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def image_json():
    out = os.path.join(HERE, "corpus", "image-json")
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": D, "size": 7},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": D, "size": 9}]}
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": D, "size": 5,
                            "platform": {"os": "linux", "architecture": "amd64"},
                            "annotations": {"org.opencontainers.image.ref.name": "redis:7"}},
                           {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": D, "size": 5,
                            "platform": {"os": "unknown", "architecture": "unknown"}}]}
    docker_list = dict(index, mediaType="application/vnd.docker.distribution.manifest.list.v2+json")
    config = {"architecture": "amd64", "os": "linux", "created": "2026-11-27T10:00:00Z",
              "config": {"Cmd": ["redis-server"], "Entrypoint": None, "Env": ["PATH=/usr/bin"],
                         "WorkingDir": "/data", "User": "redis", "ExposedPorts": {"6379/tcp": {}},
                         "Volumes": {"/data": {}}, "Labels": {"a": "b"}, "StopSignal": "SIGTERM",
                         "Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 1000000000, "Retries": 3}},
              "rootfs": {"type": "layers", "diff_ids": [D]}}
    docs = [("manifest", 0, manifest), ("index", 1, index), ("docker-list", 1, docker_list),
            ("config", 2, config), ("kind", 3, manifest)]
    for name, sel, doc in docs:
        write(os.path.join(out, name), bytes([sel]) + json.dumps(doc).encode())
    for name, ref in [("ref-short", "redis"), ("ref-full", "localhost:5000/a/b:tag@" + D), ("ref-bad", "UPPER:x:y")]:
        write(os.path.join(out, name), bytes([4]) + ref.encode())


def tar_bytes(entries, compress=False):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            ti = tarfile.TarInfo(e["name"])
            ti.type = e.get("type", tarfile.REGTYPE)
            ti.linkname = e.get("link", "")
            ti.mode = e.get("mode", 0o644)
            data = e.get("data", b"")
            ti.size = len(data) if ti.type == tarfile.REGTYPE else 0
            t.addfile(ti, io.BytesIO(data) if ti.type == tarfile.REGTYPE else None)
    raw = buf.getvalue()
    # Trailing zero records beyond the two end blocks add nothing to a seed.
    raw = raw.rstrip(b"\0") + b"\0" * 1024
    raw = raw[: (len(raw) // 512) * 512 + (512 if len(raw) % 512 else 0)]
    return gzip.compress(raw, mtime=0) if compress else raw


def layers():
    out = os.path.join(HERE, "corpus", "layer")
    d = tarfile.DIRTYPE
    write(os.path.join(out, "plain.tar"), tar_bytes([
        {"name": "etc", "type": d, "mode": 0o755}, {"name": "etc/hostname", "data": b"x\n"},
        {"name": "bin", "type": d, "mode": 0o755}, {"name": "bin/sh", "data": b"#!", "mode": 0o755},
        {"name": "bin/ash", "type": tarfile.SYMTYPE, "link": "sh"},
        {"name": "bin/link", "type": tarfile.LNKTYPE, "link": "bin/sh"}]))
    write(os.path.join(out, "whiteouts.tar.gz"), tar_bytes([
        {"name": "etc", "type": d, "mode": 0o755}, {"name": "etc/.wh.a.conf"},
        {"name": "data", "type": d, "mode": 0o755}, {"name": "data/.wh..wh..opq"},
        {"name": "data/z", "data": b"z"}], compress=True))
    write(os.path.join(out, "escapes.tar"), tar_bytes([
        {"name": "../escape-dotdot", "data": b"x"}, {"name": "lnk", "type": tarfile.SYMTYPE, "link": "/"},
        {"name": "lnk/escape-via-symlink", "data": b"x"}, {"name": "hl", "type": tarfile.LNKTYPE, "link": "../outside/canary"},
        {"name": "../.wh.outside"}]))
    write(os.path.join(out, "devices.tar.gz"), tar_bytes([
        {"name": "dev", "type": d, "mode": 0o755}, {"name": "dev/null", "type": tarfile.CHRTYPE},
        {"name": "fifo", "type": tarfile.FIFOTYPE}], compress=True))


def relay():
    """Scripts for fuzz-relay.c: per round an exit byte (0xff exits), six
    poll results (1 readable, 2 writable), then one or two bytes per read
    or write (low 3 bits: 0 EOF/EPIPE, 1 EAGAIN, 2 EINTR, 3 EIO/nothing,
    else a chunk)."""
    import random
    out = os.path.join(HERE, "corpus", "relay")
    ready = bytes([0, 1, 2, 1, 2, 1, 2])
    chunk = bytes([0x44, 0x10])
    write(os.path.join(out, "exit-at-once"), bytes([0xff, 10, 20, 0, 5, 3, 3]))
    write(os.path.join(out, "chunks-then-exit"), (ready + chunk * 6) * 8 + bytes([0xff, 1, 1, 1, 1, 1, 1]))
    write(os.path.join(out, "stdin-eof"), ready + bytes([0x00]) + chunk * 4 + ready + chunk * 6 + bytes([0xff]))
    write(os.path.join(out, "stdout-epipe"), ready + chunk * 2 + bytes([0x08]) + chunk * 4 + (ready + chunk * 6) * 3)
    write(os.path.join(out, "again-and-intr"), (ready + bytes([0x01, 0x02, 0x09, 0x0a, 0x0b, 0x11])) * 6)
    rng = random.Random(12)
    for n in range(4):
        write(os.path.join(out, "random-%d" % n), bytes(rng.randrange(256) for _ in range(64 << n)))


def dns():
    """Inputs for fuzz-dns.c: a mode byte (0 a message to 127.0.0.11, 1 an
    upstream's reply, 2 a network state), then the bytes."""
    out = os.path.join(HERE, "corpus", "dns")

    def name(n):
        return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".") if l) + b"\0"

    def query(n, qtype=1, flags=0x0100, edns=False, qd=1):
        head = (0x1234).to_bytes(2, "big") + flags.to_bytes(2, "big") + qd.to_bytes(2, "big")
        head += b"\0\0\0\0" + (b"\0\1" if edns else b"\0\0")
        body = name(n) + qtype.to_bytes(2, "big") + b"\0\1"
        if edns:
            body += b"\0\0\x29\x04\xd0\0\0\0\0\0\0"
        return head + body

    write(os.path.join(out, "a"), b"\0" + query("web"))
    write(os.path.join(out, "aaaa-edns"), b"\0" + query("Web.Example", 28, edns=True))
    write(os.path.join(out, "ptr"), b"\0" + query("2.0.89.10.in-addr.arpa", 12))
    write(os.path.join(out, "pointer"), b"\0" + query("web")[:12] + b"\xc0\x0c\0\1\0\1")
    write(os.path.join(out, "status"), b"\0" + query("web", flags=0x1000))
    write(os.path.join(out, "two-questions"), b"\0" + query("web", qd=2))
    write(os.path.join(out, "long-name"), b"\0" + query(".".join(["a" * 63] * 4)))
    reply = bytearray(query("web.example"))
    reply[2] |= 0x80
    write(os.path.join(out, "reply"), b"\1" + bytes(reply) + b"\xc0\x0c\0\1\0\1\0\0\0\x3c\0\4\x0a\0\0\1")
    write(os.path.join(out, "reverse-name"), b"\x012.0.89.10.in-addr.arpa")
    state = {"networks": [
        {"project": "p", "name": "default", "full_name": "p_default", "members": [
            {"container": "p-web-1", "service": "web", "ip": "10.89.0.2", "netns": "/n/1", "ifname": "eth0",
             "aliases": ["w", "Web"], "hostname": "h", "dns": ["10.0.0.1"]},
            {"container": "p-web-2", "service": "web", "ip": "10.89.0.3", "netns": "/n/2", "ifname": "eth0"},
            {"container": "q-x-1", "project": "q", "service": "x", "ip": "10.89.0.4", "netns": "/n/3"}]},
        {"project": "p", "name": "back", "internal": True, "members": [
            {"container": "p-web-1", "service": "web", "ip": "10.89.1.2", "netns": "/n/1", "ifname": "eth1",
             "oneoff": True}]}]}
    write(os.path.join(out, "state.json"), b"\2" + json.dumps(state).encode())


if __name__ == "__main__":
    image_json()
    layers()
    relay()
    dns()
