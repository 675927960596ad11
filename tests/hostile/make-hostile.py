#!/usr/bin/env python3
"""Hostile inputs that are too big or too binary to commit, made at test time.

    make-hostile.py deep OUT.yaml          nesting far beyond the loader's limit
    make-hostile.py huge OUT.yaml          a 16 MiB scalar
    make-hostile.py env-binary DIR         compose.yaml + a .env of random bytes
    make-hostile.py devices DIR MAJ:MIN    an OCI layout whose layer has device nodes
                                           (the host's disk, /dev/mem, /dev/kmsg)
    make-hostile.py plain DIR              an ordinary one-layer OCI layout (crash tests);
                                           prints the layer blob's path
    make-hostile.py bomb DIR               a gzip layer of 256 KiB that unpacks to 256 MiB
"""
import hashlib
import io
import json
import os
import random
import sys
import tarfile
import zlib


def deep(out):
    with open(out, "w") as f:
        f.write("services:\n  s:\n    image: busybox\n    labels:\n      x: " + "[" * 50000 + "]" * 50000 + "\n")


def huge(out):
    with open(out, "w") as f:
        f.write('services:\n  s:\n    image: busybox\n    environment:\n      BIG: "' + "A" * (16 << 20) + '"\n')


def env_binary(out):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "compose.yaml"), "w") as f:
        f.write("services:\n  s:\n    image: busybox:${TAG:-1}\n")
    rnd = random.Random(7)
    with open(os.path.join(out, ".env"), "wb") as f:
        f.write(b"TAG=\xff\xfe\x01\nNAME\x00HIDDEN=1\n" + bytes(rnd.getrandbits(8) for _ in range(4096)))


def layer(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, major, minor, *data in entries:
            ti = tarfile.TarInfo(name)
            ti.type, ti.mode = kind, 0o666 if kind in (tarfile.CHRTYPE, tarfile.BLKTYPE) else 0o755
            ti.devmajor, ti.devminor = major, minor
            ti.size = len(data[0]) if data else 0
            t.addfile(ti, io.BytesIO(data[0]) if data else None)
    return buf.getvalue()


def oci_layout(out, layer_tar, ref, media="application/vnd.oci.image.layer.v1.tar", diff_id=None):
    blobs = os.path.join(out, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)

    def put(data):
        d = hashlib.sha256(data).hexdigest()
        with open(os.path.join(blobs, d), "wb") as f:
            f.write(data)
        return "sha256:" + d, len(data)

    ldig, lsize = put(layer_tar)
    layer_path = os.path.join(blobs, ldig.split(":")[1])
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/payload", "pid"]},
                         "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff_id if diff_id else ldig]}}).encode()
    cdig, csize = put(config)
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": cdig, "size": csize},
                           "layers": [{"mediaType": media, "digest": ldig, "size": lsize}]}).encode()
    mdig, msize = put(manifest)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                                      "digest": mdig, "size": msize,
                                                      "annotations": {"org.opencontainers.image.ref.name": ref}}]}, f)
    return layer_path


def devices(out, block):
    major, minor = (int(x) for x in block.split(":"))
    oci_layout(out, layer([("dev", tarfile.DIRTYPE, 0, 0), ("dev/hostdisk", tarfile.BLKTYPE, major, minor),
                           ("dev/mem", tarfile.CHRTYPE, 1, 1), ("dev/kmsg", tarfile.CHRTYPE, 1, 11)]),
               "hostile-devices:1")


def bomb(out):
    """Streamed, so the 256 MiB never sit in memory."""
    size = 256 << 20
    ti = tarfile.TarInfo("zeros")
    ti.size = size
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    raw_hash = hashlib.sha256()
    parts = []

    def feed(data):
        raw_hash.update(data)
        parts.append(comp.compress(data))

    feed(ti.tobuf(format=tarfile.PAX_FORMAT))
    chunk = bytes(1 << 20)
    for _ in range(size // len(chunk)):
        feed(chunk)
    feed(bytes(1024))  # end of archive
    parts.append(comp.flush())
    oci_layout(out, b"".join(parts), "hostile-bomb:1", media="application/vnd.oci.image.layer.v1.tar+gzip",
               diff_id=raw_hash.hexdigest())


def plain(out):
    rnd = random.Random(11)
    files = [("etc", tarfile.DIRTYPE, 0, 0), ("etc/hostname", tarfile.REGTYPE, 0, 0, b"plain\n")]
    # Incompressible bulk, so a copy of the blob can be caught half done.
    files.append(("bulk", tarfile.REGTYPE, 0, 0, bytes(rnd.getrandbits(8) for _ in range(256 << 10))))
    print(oci_layout(out, layer(files), "crash-plain:1"))


if __name__ == "__main__":
    what, out = sys.argv[1], sys.argv[2]
    makers = {"deep": deep, "huge": huge, "env-binary": env_binary, "plain": plain, "bomb": bomb,
              "devices": lambda o: devices(o, sys.argv[3])}
    makers[what](out)
