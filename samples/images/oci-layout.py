#!/usr/bin/env python3
"""Writes one image as an OCI image layout, deterministically (part of
samples/images/build).

  oci-layout.py DIR REF CONFIG_JSON BASE_LAYOUT|- "DIGEST DIFFID SIZE FILE"...

CONFIG_JSON is the image's `config` object; with a base layout its layers,
history and config come first and CONFIG_JSON is merged over them (Env by
variable name), as a Dockerfile FROM + COPY would do.
"""
import hashlib
import json
import os
import shutil
import sys

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
CREATED = "1970-01-01T00:00:00Z"
ARCH = os.environ.get("OCI_ARCH", "amd64")


def dumps(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def put_blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def link_blob(layout, src, digest):
    dst = os.path.join(layout, "blobs", "sha256", digest)
    if os.path.exists(dst):
        return
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def read_base(base):
    with open(os.path.join(base, "index.json")) as f:
        desc = json.load(f)["manifests"][0]
    blob = lambda d: os.path.join(base, "blobs", "sha256", d.split(":", 1)[1])
    with open(blob(desc["digest"])) as f:
        manifest = json.load(f)
    with open(blob(manifest["config"]["digest"])) as f:
        config = json.load(f)
    return manifest, config, blob


def merge_config(old, new):
    out = dict(old)
    for key, value in new.items():
        if key == "Env":
            env = {e.split("=", 1)[0]: e for e in old.get("Env", [])}
            for e in value:
                env[e.split("=", 1)[0]] = e
            # Keep the base's order, then the new variables.
            names = [e.split("=", 1)[0] for e in old.get("Env", [])]
            names += [e.split("=", 1)[0] for e in value if e.split("=", 1)[0] not in names]
            out["Env"] = [env[n] for n in names]
        elif key == "Labels":
            out["Labels"] = {**old.get("Labels", {}), **value}
        else:
            out[key] = value
    return out


def main():
    layout, ref, config_json, base = sys.argv[1:5]
    layers = [l.split() for l in sys.argv[5:]]
    cfg = json.loads(config_json)
    layer_descs, diff_ids, history = [], [], []
    config = {"architecture": ARCH, "os": "linux", "created": CREATED, "config": {}}
    if base != "-":
        bman, bconf, bblob = read_base(base)
        for d in bman["layers"]:
            link_blob(layout, bblob(d["digest"]), d["digest"].split(":", 1)[1])
        layer_descs = list(bman["layers"])
        diff_ids = list(bconf["rootfs"]["diff_ids"])
        history = list(bconf.get("history", []))
        config["config"] = bconf["config"]
    config["config"] = merge_config(config["config"], cfg)
    for digest, diff_id, size, path in layers:
        link_blob(layout, path, digest)
        layer_descs.append({"mediaType": MT_LAYER, "digest": "sha256:" + digest, "size": int(size)})
        diff_ids.append("sha256:" + diff_id)
        history.append({"created": CREATED, "created_by": "ccompose samples/images/build: " + ref})
    config["rootfs"] = {"type": "layers", "diff_ids": diff_ids}
    config["history"] = history
    cdesc = put_blob(layout, dumps(config))
    manifest = {
        "schemaVersion": 2,
        "mediaType": MT_MANIFEST,
        "config": {"mediaType": MT_CONFIG, **cdesc},
        "layers": layer_descs,
    }
    mdesc = put_blob(layout, dumps(manifest))
    # skopeo's "oci:DIR:NAME:TAG" looks for ref.name; containerd and docker
    # load look for the full name.
    short = ref.split("/")[-1]
    index = {
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": MT_MANIFEST, **mdesc,
            "platform": {"architecture": ARCH, "os": "linux"},
            "annotations": {"io.containerd.image.name": ref, "org.opencontainers.image.ref.name": short},
        }],
    }
    with open(os.path.join(layout, "index.json"), "wb") as f:
        f.write(dumps(index))
    with open(os.path.join(layout, "oci-layout"), "wb") as f:
        f.write(dumps({"imageLayoutVersion": "1.0.0"}))


main()
