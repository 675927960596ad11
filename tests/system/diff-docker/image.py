#!/usr/bin/env python3
# The differential test's image: the busybox sample layout plus one layer
# (a user and groups, a directory of the user's at a volume's mount point,
# the probe), written as a new OCI layout.  Both tools load this one
# layout: ccompose as it is, Docker as the tarball dockerd.bash flattens.
import hashlib, io, json, os, shutil, sys, tarfile

src, dst, probe, ref = sys.argv[1:5]
blobs = os.path.join(dst, "blobs", "sha256")
os.makedirs(blobs, exist_ok=True)


def read_blob(layout, digest):
    with open(os.path.join(layout, "blobs", *digest.split(":")), "rb") as f:
        return f.read()


def put(data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, digest), "wb") as f:
        f.write(data)
    return "sha256:" + digest, len(data)


index = json.load(open(os.path.join(src, "index.json")))
manifest = json.loads(read_blob(src, index["manifests"][0]["digest"]))
config = json.loads(read_blob(src, manifest["config"]["digest"]))
for layer in manifest["layers"]:
    shutil.copyfile(os.path.join(src, "blobs", *layer["digest"].split(":")),
                    os.path.join(blobs, layer["digest"].split(":")[1]))

base = tarfile.open(os.path.join(src, "blobs", *manifest["layers"][-1]["digest"].split(":")), "r:*")
passwd = base.extractfile("./etc/passwd").read() + b"app:x:1000:1000:app:/home/app:/bin/sh\n"
group = base.extractfile("./etc/group").read() + b"app:x:1000:\nextra:x:2000:app,root\n"


def entry(name, kind=tarfile.REGTYPE, data=b"", mode=0o644, uid=0, gid=0):
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.uid, ti.gid, ti.size, ti.mtime = kind, mode, uid, gid, len(data), 0
    return ti, io.BytesIO(data) if data else None


buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
    for ti, data in (
        entry("etc/passwd", data=passwd),
        entry("etc/group", data=group),
        entry("data", tarfile.DIRTYPE, mode=0o750, uid=1000, gid=1000),
        entry("data/seed", data=b"from the image\n", mode=0o640, uid=1000, gid=1000),
        entry("home", tarfile.DIRTYPE, mode=0o755),
        entry("home/app", tarfile.DIRTYPE, mode=0o700, uid=1000, gid=1000),
        entry("probe", data=open(probe, "rb").read(), mode=0o755),
    ):
        t.addfile(ti, data)
layer = buf.getvalue()
digest, size = put(layer)
manifest["layers"].append({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest, "size": size})
config["rootfs"]["diff_ids"].append(digest)
config["history"].append({"created": "1970-01-01T00:00:00Z", "created_by": "tests/system/diff-docker/image.py"})
cdigest, csize = put(json.dumps(config, sort_keys=True).encode())
manifest["config"] = {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cdigest, "size": csize}
mdigest, msize = put(json.dumps(manifest, sort_keys=True).encode())
with open(os.path.join(dst, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": mdigest, "size": msize,
        "annotations": {"io.containerd.image.name": "docker.io/library/" + ref,
                        "org.opencontainers.image.ref.name": ref}}]}, f)
with open(os.path.join(dst, "oci-layout"), "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')
