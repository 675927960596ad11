#!/usr/bin/env python3
"""Hostile and broken image fixtures for tests/system/test-image*.sh.

  image-fixtures.py KIND OUTDIR VICTIM
  image-fixtures.py env N OUTDIR     one image whose config has N Env entries
  image-fixtures.py tags N OUTDIR    a docker-save directory: one image, N tags

writes an OCI image layout in OUTDIR whose only defect is KIND; VICTIM is
a directory outside the store that a successful attack would write to or
delete from.  Digests are correct unless the defect is about digests, so
the extractor, not the digest check, is what has to refuse.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def entry(name, kind="file", data=b"x", target=None, xattrs=None):
    return (name, kind, data, target, xattrs)


def make_tar(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, kind, data, target, xattrs in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 0
            for k, v in (xattrs or {}).items():
                info.pax_headers["SCHILY.xattr." + k] = v
            if kind == "file":
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
                continue
            if kind == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
            elif kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, target
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, target
            tar.addfile(info)
    return buf.getvalue()


def sha(data):
    return hashlib.sha256(data).hexdigest()


def write_layout(out, layer_tars, tamper=None, name="hostile:latest"):
    os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)

    def put(data):
        d = sha(data)
        with open(os.path.join(out, "blobs", "sha256", d), "wb") as f:
            f.write(data)
        return d

    layer_descs, diff_ids = [], []
    for layer_tar in layer_tars:
        gz = gzip.compress(layer_tar, mtime=0)
        diff_id = sha(layer_tar)
        if tamper == "truncated":
            gz = gz[: len(gz) // 2]  # a consistent digest, a broken stream
        layer = put(gz)
        if tamper == "digest":
            # The blob under the layer's name no longer matches its name.
            with open(os.path.join(out, "blobs", "sha256", layer), "r+b") as f:
                f.seek(len(gz) // 2)
                f.write(b"\0\0\0\0")
        if tamper == "diffid":
            diff_id = "0" * 64
        desc = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": "sha256:" + layer, "size": len(gz)}
        if tamper == "missing":
            desc["digest"] = "sha256:" + "e" * 64
        layer_descs.append(desc)
        diff_ids.append("sha256:" + diff_id)
    config = {"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
              "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    cdata = json.dumps(config).encode()
    cdig = put(cdata)
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + cdig,
                           "size": 2 ** 40 if tamper == "giant" else len(cdata)},
                "layers": layer_descs}
    mdata = json.dumps(manifest).encode()
    mdig = put(mdata)
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + mdig,
        "size": len(mdata), "annotations": {"org.opencontainers.image.ref.name": name}}]}
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


def docker_archive(layout, out):
    """Rewrite the single image of an OCI layout as `docker save` does:
    uncompressed layers named by diff id, the config named by its digest."""
    blob = lambda d: os.path.join(layout, "blobs", "sha256", d.split(":", 1)[1])
    with open(os.path.join(layout, "index.json")) as f:
        desc = json.load(f)["manifests"][0]
    with open(blob(desc["digest"])) as f:
        manifest = json.load(f)
    with open(blob(manifest["config"]["digest"]), "rb") as f:
        config = f.read()
    name = desc.get("annotations", {}).get("io.containerd.image.name", "fixture:latest")
    with tarfile.open(out, "w") as tar:
        def add(name_, data):
            info = tarfile.TarInfo(name_)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        layers = []
        for l in manifest["layers"]:
            with open(blob(l["digest"]), "rb") as f:
                data = gzip.decompress(f.read())
            layers.append(sha(data) + "/layer.tar")
            add(layers[-1], data)
        cname = manifest["config"]["digest"].split(":", 1)[1] + ".json"
        add(cname, config)
        add("manifest.json", json.dumps([{"Config": cname, "RepoTags": [name], "Layers": layers}]).encode())


def nested_index(out):
    """An index pointing to an image index (as buildkit writes), whose
    entries are another architecture (blob absent: must not be fetched),
    an attestation, and the image for this machine."""
    write_layout(out, [make_tar([entry("etc/", "dir"), entry("etc/hostname", data=b"nested\n")])])
    blobs = os.path.join(out, "blobs", "sha256")
    with open(os.path.join(out, "index.json")) as f:
        real = json.load(f)["manifests"][0]
    del real["annotations"]
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)
    other = {"mediaType": real["mediaType"], "digest": "sha256:" + "a" * 64, "size": 100,
             "platform": {"os": "linux", "architecture": "s390x" if arch != "s390x" else "amd64"}}
    attest = {"mediaType": real["mediaType"], "digest": "sha256:" + "b" * 64, "size": 100,
              "platform": {"os": "unknown", "architecture": "unknown"}}
    mine = dict(real, platform={"os": "linux", "architecture": arch})
    inner = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": [other, attest, mine]}).encode()
    digest = sha(inner)
    with open(os.path.join(blobs, digest), "wb") as f:
        f.write(inner)
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:" + digest, "size": len(inner),
        "annotations": {"io.containerd.image.name": "docker.io/library/nested:1"}}]}
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f)


def docker_escape(out, how):
    """A docker archive whose manifest.json names files outside it."""
    with tarfile.open(out, "w") as tar:
        def add(name, data=None, link=None):
            info = tarfile.TarInfo(name)
            if link:
                info.type, info.linkname = tarfile.SYMTYPE, link
                tar.addfile(info)
                return
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if how == "dotdot":
            entry_ = {"Config": "../../../../../../etc/hostname", "RepoTags": ["esc:1"], "Layers": []}
        elif how == "absolute":
            entry_ = {"Config": "c.json", "RepoTags": ["esc:1"], "Layers": ["/etc/passwd"]}
            add("c.json", json.dumps({"rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64]}}).encode())
        else:
            add("evil.json", link="/etc/hostname")
            entry_ = {"Config": "evil.json", "RepoTags": ["esc:1"], "Layers": []}
        add("manifest.json", json.dumps([entry_]).encode())


def many_env(out, n):
    """One image whose config has N `Env` entries (issue 12 item 10: each
    one used to cost a walk of the list so far)."""
    write_layout(out, [make_tar([entry("etc/", "dir"), entry("etc/hostname", data=b"env\n")])], name="env:latest")
    blobs = os.path.join(out, "blobs", "sha256")
    with open(os.path.join(out, "index.json")) as f:
        index = json.load(f)
    desc = index["manifests"][0]
    with open(os.path.join(blobs, desc["digest"].split(":")[1])) as f:
        manifest = json.load(f)
    with open(os.path.join(blobs, manifest["config"]["digest"].split(":")[1])) as f:
        config = json.load(f)
    config["config"]["Env"] = ["V%d=%d" % (i, i) for i in range(n)]
    cdata = json.dumps(config).encode()
    manifest["config"].update(digest="sha256:" + sha(cdata), size=len(cdata))
    mdata = json.dumps(manifest).encode()
    desc.update(digest="sha256:" + sha(mdata), size=len(mdata))
    for data in (cdata, mdata):
        with open(os.path.join(blobs, sha(data)), "wb") as f:
            f.write(data)
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f)


def many_tags(out, n):
    """A `docker save` directory of one image with N tags (each one used
    to rewrite repositories.json)."""
    layout = out + ".layout"
    write_layout(layout, [make_tar([entry("etc/", "dir"), entry("etc/hostname", data=b"tags\n")])])
    os.makedirs(out, exist_ok=True)
    docker_archive(layout, os.path.join(out, "image.tar"))
    with tarfile.open(os.path.join(out, "image.tar")) as tar:
        tar.extractall(out)
    os.unlink(os.path.join(out, "image.tar"))
    with open(os.path.join(out, "manifest.json")) as f:
        manifest = json.load(f)
    manifest[0]["RepoTags"] = ["tags:t%d" % i for i in range(n)]
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f)


def repeated(out, base_layout):
    """Two images on the base layout's layers (busybox), as BuildKit and
    hand-made stacks produce them: `repeat-empty` repeats one empty layer,
    `repeat` stacks A, B, A where B changes and deletes what A wrote."""
    blob = lambda d: os.path.join(base_layout, "blobs", "sha256", d.split(":", 1)[1])
    with open(os.path.join(base_layout, "index.json")) as f:
        desc = json.load(f)["manifests"][0]
    with open(blob(desc["digest"])) as f:
        manifest = json.load(f)
    base = []
    for l in manifest["layers"]:
        with open(blob(l["digest"]), "rb") as f:
            base.append(gzip.decompress(f.read()))
    empty = make_tar([])
    a = make_tar([entry("r/", "dir"), entry("r/f", data=b"A\n"), entry("r/a-only", data=b"a\n")])
    b = make_tar([entry("r/", "dir"), entry("r/f", data=b"B\n"), entry("r/b-only", data=b"b\n"),
                  entry("r/.wh.a-only")])
    index = []
    for name, layers in (("repeat-empty:latest", base + [empty, empty]), ("repeat:latest", base + [a, b, a])):
        write_layout(out, layers, name=name)
        with open(os.path.join(out, "index.json")) as f:
            index += json.load(f)["manifests"]
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": index}, f)


def main():
    if sys.argv[1] == "env":
        return many_env(sys.argv[3], int(sys.argv[2]))
    if sys.argv[1] == "tags":
        return many_tags(sys.argv[3], int(sys.argv[2]))
    if sys.argv[1] == "repeated":
        return repeated(sys.argv[2], sys.argv[3])
    if sys.argv[1] == "docker-archive":
        return docker_archive(sys.argv[2], sys.argv[3])
    if sys.argv[1] == "nested":
        return nested_index(sys.argv[2])
    if sys.argv[1] == "docker-escape":
        return docker_escape(sys.argv[2], sys.argv[3])
    kind, out, victim = sys.argv[1:4]
    base = [entry("etc/", "dir"), entry("etc/hostname", data=b"fixture\n")]
    up = "../" * 12 + victim.lstrip("/")
    cases = {
        "ok": base,
        "dotdot": base + [entry(up + "/pwned")],
        "absolute": base + [entry(victim + "/pwned")],
        "symlink": base + [entry("lnk", "symlink", target=victim), entry("lnk/pwned")],
        "hardlink-dotdot": base + [entry("hl", "hardlink", target=up + "/keep")],
        "hardlink-symlink": base + [entry("lnk", "symlink", target=victim), entry("hl", "hardlink", target="lnk/keep")],
        "whiteout-dotdot": base + [entry(up + "/.wh.keep")],
        "whiteout-symlink": base + [entry("lnk", "symlink", target=victim), entry("lnk/.wh.keep")],
        "opaque-symlink": base + [entry("lnk", "symlink", target=victim), entry("lnk/.wh..wh..opq")],
        "digest": base, "diffid": base, "truncated": base, "missing": base, "giant": base,
    }
    if kind == "xattrs":
        # Ordinary xattrs are kept; overlay's own would let a layer redirect
        # lookups into other layers, so they are dropped.
        return write_layout(out, [make_tar([
            entry("d/", "dir", xattrs={"trusted.overlay.redirect": "/etc", "trusted.overlay.opaque": "y",
                                       "user.ccompose": "dir"}),
            entry("d/f", xattrs={"user.ccompose": "kept", "trusted.overlay.metacopy": ""})])], name="xattrs:latest")
    if kind == "many":
        # 45 layers: full layer paths would not fit in overlayfs's one-page options.
        return write_layout(out, [make_tar([entry("layer%02d" % i, data=b"%d\n" % i)]) for i in range(45)],
                            name="many:latest")
    if kind == "whiteouts":
        lower = [entry("etc/", "dir"), entry("etc/a.conf"), entry("etc/b.conf"), entry("data/", "dir"),
                 entry("data/x"), entry("data/y"), entry("keep")]
        upper = [entry("etc/.wh.a.conf"), entry("data/", "dir"), entry("data/.wh..wh..opq"), entry("data/z"),
                 entry("new")]
        return write_layout(out, [make_tar(lower), make_tar(upper)], name="whiteouts:latest")
    tamper = kind if kind in ("digest", "diffid", "truncated", "missing", "giant") else None
    write_layout(out, [make_tar(cases[kind])], tamper)


main()
