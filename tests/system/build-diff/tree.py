#!/usr/bin/env python3
"""Describe an image for the differential build test: its config (the
fields `docker image inspect` shows under Config, and the history's
created_by / empty_layer) and its file tree, the layers applied in order
with OCI whiteouts (path, type, mode, owner, size, sha256 or link
target), as JSON on stdout.

  tree.py docker-archive ARCHIVE.tar        (`docker save` output)
  tree.py store DATA_DIR IMAGE_ID           (ccompose's store)
"""
import hashlib
import json
import os
import sys
import tarfile

FIELDS = ["Env", "Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts", "Volumes", "Labels",
          "StopSignal", "Healthcheck", "OnBuild", "Shell"]


def apply_layer(tree, fileobj):
    with tarfile.open(fileobj=fileobj, mode="r:*") as t:
        for m in t:
            name = os.path.normpath(m.name).lstrip("./") if m.name not in (".", "./") else ""
            if name in ("", "."):
                continue
            base = os.path.basename(name)
            parent = os.path.dirname(name)
            if base == ".wh..wh..opq":
                for k in [k for k in tree if k.startswith(parent + "/")]:
                    del tree[k]
                continue
            if base.startswith(".wh."):
                gone = os.path.join(parent, base[4:])
                for k in [k for k in tree if k == gone or k.startswith(gone + "/")]:
                    del tree[k]
                continue
            entry = {"mode": oct(m.mode & 0o7777), "uid": m.uid, "gid": m.gid}
            if m.isdir():
                entry["type"] = "dir"
            elif m.issym():
                entry["type"] = "symlink"
                entry["link"] = m.linkname
            elif m.islnk():
                target = os.path.normpath(m.linkname).lstrip("./")
                entry = dict(tree.get(target, {}))
                entry["type"] = "file"
            elif m.isfile():
                data = t.extractfile(m).read()
                entry["type"] = "file"
                entry["size"] = len(data)
                entry["sha256"] = hashlib.sha256(data).hexdigest()
            elif m.ischr() or m.isblk():
                entry["type"] = "chr" if m.ischr() else "blk"
                entry["dev"] = [m.devmajor, m.devminor]
            elif m.isfifo():
                entry["type"] = "fifo"
            if m.isdir() and name in tree and tree[name].get("type") == "dir":
                tree[name].update(entry)
            else:
                for k in [k for k in tree if k.startswith(name + "/")] if not m.isdir() else []:
                    del tree[k]
                tree[name] = entry


def describe(config, layer_files):
    tree = {}
    for f in layer_files:
        with open(f, "rb") as fo:
            apply_layer(tree, fo)
    c = config.get("config") or {}
    out = {"config": {k: c.get(k) for k in FIELDS if c.get(k) not in (None, [], {}, "")},
           "history": [{"created_by": h.get("created_by", ""), "empty_layer": bool(h.get("empty_layer"))}
                       for h in config.get("history", [])],
           "tree": tree}
    return out


def from_docker_archive(path, work):
    with tarfile.open(path) as t:
        t.extractall(work)
    manifest = json.load(open(os.path.join(work, "manifest.json")))[0]
    config = json.load(open(os.path.join(work, manifest["Config"])))
    return describe(config, [os.path.join(work, l) for l in manifest["Layers"]])


def from_store(data, image_id):
    blobs = os.path.join(data, "images", "blobs", "sha256")
    repos = json.load(open(os.path.join(data, "images", "repositories.json")))
    manifest = next(m for m, e in repos["images"].items() if e["id"] == image_id)
    m = json.load(open(os.path.join(blobs, manifest[7:])))
    config = json.load(open(os.path.join(blobs, m["config"]["digest"][7:])))
    return describe(config, [os.path.join(blobs, l["digest"][7:]) for l in m["layers"]])


if __name__ == "__main__":
    if sys.argv[1] == "docker-archive":
        import tempfile
        with tempfile.TemporaryDirectory() as w:
            d = from_docker_archive(sys.argv[2], w)
    else:
        d = from_store(sys.argv[2], sys.argv[3])
    json.dump(d, sys.stdout, indent=1, sort_keys=True)
