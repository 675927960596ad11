#!/usr/bin/env python3
"""A small Docker Registry HTTP API v2 server for tests/system/test-image-pull.sh.

  registry-fixture.py --layout REPO=OCI_LAYOUT_DIR ... --port-file FILE
                      [--auth none|basic|bearer|bearer-public] [--redirect]
                      [--tamper DIGEST] [--pad DIGEST] [--log FILE]

Listens on 127.0.0.1 only (an ephemeral port, written to --port-file once it
listens).  Each REPO (library/busybox) serves the images of an OCI layout
under the tags of their ref names (busybox:1.35 -> tag 1.35) and, for each
such TAG, variants built from the same blobs:

  TAG-index      OCI index: an attestation (unknown/unknown), linux/arm64
                 (a manifest that does not exist: picking it fails), then
                 linux/amd64
  TAG-list       Docker manifest list -> a Docker schema 2 manifest
  TAG-v2s2       the Docker schema 2 manifest itself
  TAG-arm        an index with linux/arm64 only
  schema1        a Docker schema 1 manifest (must be refused)
  huge           a 5 MiB manifest (over the client's 4 MiB cap)
  loop           a redirect to itself
  lie            the 1.35 manifest with a wrong Docker-Content-Digest;
                 also served (without that header) as the manifest whose
                 digest is sha256("lie")

Auth: basic = htpasswd-style user ccompose / s3cret on every /v2/ request;
bearer = a token endpoint at /token (same server) that wants those Basic
credentials; bearer-public = anonymous tokens.  Tokens are opaque; the
registry checks they carry pull access to the repository asked for.

Push (Registry API v2, as distribution 2.8 answers it): HEAD blobs per
repository, POST uploads (with ?mount=&from= linking a blob another
repository has, when the token may pull from there), PATCH chunks (their
Content-Range must continue the upload), PUT ?digest= (the digest is
checked), DELETE of an upload, PUT manifests (every blob it names must be
in the repository; the Content-Type must be its mediaType).  Pushed blobs
go to --store DIR.  Bearer tokens carry push only for the Basic
credentials above.  --fail-patch N answers the Nth PATCH with a 500,
--fail-manifest-put answers manifest PUTs with a 500.  --upload-elsewhere
names upload Locations on http://localhost:PORT/_upload/ (another host
name, as storage would be), which refuses any request carrying an
Authorization header.

--redirect answers blob GETs with 307 to http://localhost:PORT/_storage/...,
which refuses any request carrying an Authorization header (a client must
not forward credentials to another host).  --tamper DIGEST serves that blob
with its last byte flipped, --pad DIGEST with 1 MiB more than it has.  Every request is logged to --log as
"METHOD PATH AUTH-SCHEME".
"""
import argparse
import base64
import hashlib
import http.server
import json
import os
import secrets
import sys
import urllib.parse

USER, PASSWORD = "ccompose", "s3cret"
SERVICE = "ccompose-registry"

MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MT_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MT_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
MT_DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
MT_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+prettyjws"


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Repo:
    def __init__(self, name, layout=None):
        self.name = name
        self.blobs = {}      # digest -> path or bytes
        self.manifests = {}  # digest -> (media type, bytes)
        self.tags = {}       # tag -> digest
        self.layout = layout
        if layout is None:
            return
        with open(os.path.join(layout, "index.json")) as f:
            index = json.load(f)
        for desc in index["manifests"]:
            ref = desc.get("annotations", {}).get("org.opencontainers.image.ref.name", "")
            tag = ref.rsplit(":", 1)[-1] if ":" in ref else "latest"
            body = self.read_blob(desc["digest"])
            self.add_manifest(desc["mediaType"], body, tag)
            self.add_variants(tag, desc, body)

    def read_blob(self, digest):
        with open(os.path.join(self.layout, "blobs", "sha256", digest[7:]), "rb") as f:
            return f.read()

    def add_manifest(self, mt, body, tag=None):
        digest = sha(body)
        self.manifests[digest] = (mt, body)
        if tag:
            self.tags[tag] = digest
        return {"mediaType": mt, "digest": digest, "size": len(body)}

    def add_variants(self, tag, desc, body):
        m = json.loads(body)
        for d in [m["config"]] + m["layers"]:
            self.blobs[d["digest"]] = os.path.join(self.layout, "blobs", "sha256", d["digest"][7:])
        amd64 = {"architecture": "amd64", "os": "linux"}
        arm64 = {"architecture": "arm64", "os": "linux"}
        child = {"mediaType": MT_OCI_MANIFEST, "digest": desc["digest"], "size": desc["size"]}
        ghost = {"mediaType": MT_OCI_MANIFEST, "digest": sha(b"no such manifest"), "size": 16}
        attestation = dict(ghost, platform={"architecture": "unknown", "os": "unknown"})
        index = {"schemaVersion": 2, "mediaType": MT_OCI_INDEX,
                 "manifests": [attestation, dict(ghost, platform=arm64), dict(child, platform=amd64)]}
        self.add_manifest(MT_OCI_INDEX, json.dumps(index).encode(), tag + "-index")
        arm_only = {"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": [dict(ghost, platform=arm64)]}
        self.add_manifest(MT_OCI_INDEX, json.dumps(arm_only).encode(), tag + "-arm")
        v2 = {"schemaVersion": 2, "mediaType": MT_DOCKER_MANIFEST,
              "config": dict(m["config"], mediaType=MT_DOCKER_CONFIG),
              "layers": [dict(l, mediaType=MT_DOCKER_LAYER) for l in m["layers"]]}
        v2desc = self.add_manifest(MT_DOCKER_MANIFEST, json.dumps(v2).encode(), tag + "-v2s2")
        lst = {"schemaVersion": 2, "mediaType": MT_DOCKER_LIST, "manifests": [dict(v2desc, platform=amd64)]}
        self.add_manifest(MT_DOCKER_LIST, json.dumps(lst).encode(), tag + "-list")
        s1 = {"schemaVersion": 1, "name": self.name, "tag": "schema1", "fsLayers": [], "history": []}
        self.add_manifest(MT_SCHEMA1, json.dumps(s1).encode(), "schema1")
        huge = dict(m, annotations={"padding": "x" * (5 * 1024 * 1024)})
        self.add_manifest(MT_OCI_MANIFEST, json.dumps(huge).encode(), "huge")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def log_request_line(self):
        if self.server.opts.log:
            auth = self.headers.get("Authorization", "-").split(" ")[0]
            with open(self.server.opts.log, "a") as f:
                f.write("%s %s %s\n" % (self.command, self.path, auth))

    def send(self, code, body=b"", headers=None, head=False):
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Docker-Distribution-Api-Version", "registry/2.0")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def error(self, code, err, message, extra=None, head=False):
        body = json.dumps({"errors": [{"code": err, "message": message}]}).encode()
        h = {"Content-Type": "application/json; charset=utf-8"}
        h.update(extra or {})
        self.send(code, body, h, head)

    def host(self):
        return "127.0.0.1:%d" % self.server.server_address[1]

    def challenge(self, scope=None):
        if self.server.opts.auth == "basic":
            return {"WWW-Authenticate": 'Basic realm="ccompose-test"'}
        c = 'Bearer realm="http://%s/token",service="%s"' % (self.host(), SERVICE)
        if scope:
            c += ',scope="%s"' % scope
        return {"WWW-Authenticate": c}

    def basic_ok(self):
        want = "Basic " + base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode()).decode()
        return self.headers.get("Authorization") == want

    def authorized(self, repo, action="pull"):
        mode = self.server.opts.auth
        if mode == "none":
            return True
        if mode == "basic":
            return self.basic_ok()
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return False
        grants = self.server.tokens.get(auth[7:])
        if grants is None:
            return False
        return repo == "" or action in grants.get(repo, set())

    def do_token(self, query):
        q = urllib.parse.parse_qs(query)
        if q.get("service") != [SERVICE]:
            return self.error(400, "DENIED", "wrong service %r" % q.get("service"))
        if self.headers.get("Authorization") and not self.basic_ok():
            return self.error(401, "UNAUTHORIZED", "wrong credentials")
        if self.server.opts.auth == "bearer" and not self.basic_ok():
            return self.error(401, "UNAUTHORIZED", "credentials required")
        grants = {}
        for scope in q.get("scope", []):
            kind, name, actions = scope.split(":")
            if kind != "repository":
                continue
            for action in actions.split(","):
                # Push is for the user with credentials, as on a real registry.
                if action == "pull" or (action == "push" and self.basic_ok()):
                    grants.setdefault(name, set()).add(action)
        tok = secrets.token_hex(16)
        self.server.tokens[tok] = grants
        self.send(200, json.dumps({"token": tok, "expires_in": 300}).encode(), {"Content-Type": "application/json"})

    def do_storage(self, digest, head):
        if "Authorization" in self.headers:
            return self.error(400, "LEAK", "credentials sent to the storage host", head=head)
        self.send_blob(digest, head)

    def send_blob(self, digest, head, repo=None):
        for repo in [repo] if repo else self.server.repos.values():
            if digest in repo.blobs:
                with open(repo.blobs[digest], "rb") as f:
                    data = f.read()
                if digest == self.server.opts.tamper:
                    data = data[:-1] + bytes([data[-1] ^ 1])
                if digest == self.server.opts.pad:
                    data += b"\0" * (1024 * 1024)
                return self.send(200, data, {"Content-Type": "application/octet-stream",
                                             "Docker-Content-Digest": digest}, head)
        self.error(404, "BLOB_UNKNOWN", "blob unknown to registry", head=head)

    def route(self, method):
        head = method == "HEAD"
        self.log_request_line()
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        if path == "/token":
            return self.do_token(url.query)
        if path.startswith("/_storage/"):
            return self.do_storage(path[len("/_storage/"):], head)
        if path.startswith("/_upload/"):
            if "Authorization" in self.headers:
                return self.error(400, "LEAK", "credentials sent to the upload host")
            name, uuid = path[len("/_upload/"):].rsplit("/", 1)
            return self.upload(method, name, uuid, urllib.parse.parse_qs(url.query))
        if path in ("/v2", "/v2/"):
            if not self.authorized(""):
                return self.error(401, "UNAUTHORIZED", "authentication required", self.challenge(), head)
            return self.send(200, b"{}", {"Content-Type": "application/json"}, head)
        if path.startswith("/v2/") and "/blobs/uploads" in path:
            name, rest = path[4:].split("/blobs/uploads", 1)
            if not self.authorized(name, "push"):
                scope = "repository:%s:pull,push" % name
                extra = dict(self.challenge(scope))
                if self.server.opts.auth.startswith("bearer"):
                    extra["WWW-Authenticate"] += ',error="insufficient_scope"'
                return self.error(401, "UNAUTHORIZED", "authentication required", extra)
            return self.upload(method, name, rest.strip("/"), urllib.parse.parse_qs(url.query))
        for kind in ("manifests", "blobs"):
            marker = "/%s/" % kind
            if path.startswith("/v2/") and marker in path:
                name, ref = path[4:].rsplit(marker, 1)
                action = "push" if method == "PUT" else "pull"
                if not self.authorized(name, action):
                    scope = "repository:%s:%s" % (name, "pull,push" if action == "push" else "pull")
                    return self.error(401, "UNAUTHORIZED", "authentication required", self.challenge(scope), head)
                if method == "PUT" and kind == "manifests":
                    return self.put_manifest(name, ref)
                repo = self.server.repos.get(name)
                if repo is None:
                    code = "BLOB_UNKNOWN" if kind == "blobs" and head else "NAME_UNKNOWN"
                    return self.error(404, code, "repository name not known to registry", head=head)
                return self.manifest(repo, ref, head) if kind == "manifests" else self.blob(repo, ref, head)
        self.error(404, "NOT_FOUND", "no route", head=head)

    # ---- push ----

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def repo(self, name):
        return self.server.repos.setdefault(name, Repo(name))

    def upload_location(self, name, uuid, size):
        if self.server.opts.upload_elsewhere:
            return "http://localhost:%d/_upload/%s/%s?_state=s%d" % (self.server.server_address[1], name, uuid, size)
        return "/v2/%s/blobs/uploads/%s?_state=s%d" % (name, uuid, size)

    def upload_path(self, uuid):
        return os.path.join(self.server.opts.store, "uploads", uuid)

    def link(self, name, digest, path):
        self.repo(name).blobs[digest] = path

    def upload(self, method, name, uuid, q):
        data = self.request_body
        if method == "POST":
            digest, source = q.get("mount", [None])[0], q.get("from", [None])[0]
            if digest and source:
                src = self.server.repos.get(source)
                if src and digest in src.blobs and self.authorized(source, "pull"):
                    self.link(name, digest, src.blobs[digest])
                    return self.send(201, b"", {"Location": "/v2/%s/blobs/%s" % (name, digest),
                                                "Docker-Content-Digest": digest})
            uuid = secrets.token_hex(8)
            os.makedirs(os.path.dirname(self.upload_path(uuid)), exist_ok=True)
            open(self.upload_path(uuid), "wb").close()
            return self.send(202, b"", {"Location": self.upload_location(name, uuid, 0),
                                        "Range": "0-0", "Docker-Upload-UUID": uuid})
        if not uuid or not os.path.exists(self.upload_path(uuid)):
            return self.error(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry")
        path = self.upload_path(uuid)
        size = os.path.getsize(path)
        if method == "DELETE":
            os.unlink(path)
            return self.send(204)
        if method == "PATCH":
            self.server.patches += 1
            if self.server.patches == self.server.opts.fail_patch:
                return self.error(500, "UNKNOWN", "the disk is on fire")
            rng = self.headers.get("Content-Range", "")
            start = int(rng.split("-")[0]) if rng else size
            if start != size or (rng and int(rng.split("-")[1]) != size + len(data) - 1):
                return self.error(416, "BLOB_UPLOAD_INVALID", "range %s does not continue %d bytes" % (rng, size))
            with open(path, "ab") as f:
                f.write(data)
            size += len(data)
            return self.send(202, b"", {"Location": self.upload_location(name, uuid, size),
                                        "Range": "0-%d" % (size - 1), "Docker-Upload-UUID": uuid})
        if method == "PUT":
            with open(path, "ab") as f:
                f.write(data)
            with open(path, "rb") as f:
                content = f.read()
            digest = q.get("digest", [""])[0]
            if sha(content) != digest:
                return self.error(400, "DIGEST_INVALID", "provided digest did not match uploaded content")
            final = os.path.join(self.server.opts.store, "blobs", digest[7:])
            os.makedirs(os.path.dirname(final), exist_ok=True)
            os.rename(path, final)
            self.link(name, digest, final)
            return self.send(201, b"", {"Location": "/v2/%s/blobs/%s" % (name, digest),
                                        "Docker-Content-Digest": digest})
        self.error(405, "UNSUPPORTED", "method not allowed")

    def put_manifest(self, name, ref):
        data = self.request_body
        if self.server.opts.fail_manifest_put:
            return self.error(500, "UNKNOWN", "manifest storage is down")
        doc = json.loads(data)
        mt = self.headers.get("Content-Type", "")
        if doc.get("mediaType", mt) != mt:
            return self.error(400, "MANIFEST_INVALID", "Content-Type %s is not the manifest's %s" % (mt, doc.get("mediaType")))
        repo = self.repo(name)
        for d in [doc["config"]] + doc["layers"]:
            if d["digest"] not in repo.blobs:
                return self.error(400, "MANIFEST_BLOB_UNKNOWN", "blob unknown to registry: " + d["digest"])
        digest = sha(data)
        repo.manifests[digest] = (mt, data)
        if not ref.startswith("sha256:"):
            repo.tags[ref] = digest
        self.send(201, b"", {"Location": "/v2/%s/manifests/%s" % (name, digest), "Docker-Content-Digest": digest})

    def manifest(self, repo, ref, head):
        if ref == "loop":
            return self.send(307, b"", {"Location": self.path}, head)
        if ref in ("lie", sha(b"lie")):
            mt, body = repo.manifests[repo.tags["1.35"]]
            extra = {"Docker-Content-Digest": sha(b"lie")} if ref == "lie" else {}
            return self.send(200, body, dict(extra, **{"Content-Type": mt}), head)
        digest = ref if ref.startswith("sha256:") else repo.tags.get(ref)
        if digest not in repo.manifests:
            return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown", head=head)
        mt, body = repo.manifests[digest]
        self.send(200, body, {"Content-Type": mt, "Docker-Content-Digest": digest}, head)

    def blob(self, repo, digest, head):
        if digest not in repo.blobs:
            return self.error(404, "BLOB_UNKNOWN", "blob unknown to registry", head=head)
        if self.server.opts.redirect:
            port = self.server.server_address[1]
            return self.send(307, b"", {"Location": "http://localhost:%d/_storage/%s" % (port, digest)}, head)
        self.send_blob(digest, head, repo)

    def handle_method(self, method):
        self.request_body = self.body()
        self.route(method)

    def do_GET(self):
        self.handle_method("GET")

    def do_HEAD(self):
        self.handle_method("HEAD")

    def do_POST(self):
        self.handle_method("POST")

    def do_PUT(self):
        self.handle_method("PUT")

    def do_PATCH(self):
        self.handle_method("PATCH")

    def do_DELETE(self):
        self.handle_method("DELETE")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--layout", action="append", default=[])
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--auth", default="none", choices=["none", "basic", "bearer", "bearer-public"])
    ap.add_argument("--redirect", action="store_true")
    ap.add_argument("--tamper")
    ap.add_argument("--pad")
    ap.add_argument("--log")
    ap.add_argument("--store")
    ap.add_argument("--fail-patch", type=int, default=0)
    ap.add_argument("--fail-manifest-put", action="store_true")
    ap.add_argument("--upload-elsewhere", action="store_true")
    opts = ap.parse_args()
    if opts.store is None:
        opts.store = os.path.join(os.path.dirname(os.path.abspath(opts.port_file)), "store")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.opts = opts
    server.tokens = {}
    server.repos = {}
    server.patches = 0
    for spec in opts.layout:
        name, layout = spec.split("=", 1)
        server.repos[name] = Repo(name, layout)
    tmp = opts.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, opts.port_file)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
