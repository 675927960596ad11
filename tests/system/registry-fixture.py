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
    def __init__(self, name, layout):
        self.name = name
        self.blobs = {}      # digest -> path or bytes
        self.manifests = {}  # digest -> (media type, bytes)
        self.tags = {}       # tag -> digest
        self.layout = layout
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

    def authorized(self, repo):
        mode = self.server.opts.auth
        if mode == "none":
            return True
        if mode == "basic":
            return self.basic_ok()
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return False
        return repo in self.server.tokens.get(auth[7:], set()) or (repo == "" and auth[7:] in self.server.tokens)

    def do_token(self, query):
        q = urllib.parse.parse_qs(query)
        if q.get("service") != [SERVICE]:
            return self.error(400, "DENIED", "wrong service %r" % q.get("service"))
        if self.headers.get("Authorization") and not self.basic_ok():
            return self.error(401, "UNAUTHORIZED", "wrong credentials")
        if self.server.opts.auth == "bearer" and not self.basic_ok():
            return self.error(401, "UNAUTHORIZED", "credentials required")
        repos = set()
        for scope in q.get("scope", []):
            kind, name, actions = scope.split(":")
            if kind == "repository" and "pull" in actions.split(","):
                repos.add(name)
        tok = secrets.token_hex(16)
        self.server.tokens[tok] = repos
        self.send(200, json.dumps({"token": tok, "expires_in": 300}).encode(), {"Content-Type": "application/json"})

    def do_storage(self, digest, head):
        if "Authorization" in self.headers:
            return self.error(400, "LEAK", "credentials sent to the storage host", head=head)
        self.send_blob(digest, head)

    def send_blob(self, digest, head):
        for repo in self.server.repos.values():
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

    def route(self, head):
        self.log_request_line()
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        if path == "/token":
            return self.do_token(url.query)
        if path.startswith("/_storage/"):
            return self.do_storage(path[len("/_storage/"):], head)
        if path in ("/v2", "/v2/"):
            if not self.authorized(""):
                return self.error(401, "UNAUTHORIZED", "authentication required", self.challenge(), head)
            return self.send(200, b"{}", {"Content-Type": "application/json"}, head)
        for kind in ("manifests", "blobs"):
            marker = "/%s/" % kind
            if path.startswith("/v2/") and marker in path:
                name, ref = path[4:].rsplit(marker, 1)
                if not self.authorized(name):
                    scope = "repository:%s:pull" % name
                    return self.error(401, "UNAUTHORIZED", "authentication required", self.challenge(scope), head)
                repo = self.server.repos.get(name)
                if repo is None:
                    return self.error(404, "NAME_UNKNOWN", "repository name not known to registry", head=head)
                return self.manifest(repo, ref, head) if kind == "manifests" else self.blob(ref, head)
        self.error(404, "NOT_FOUND", "no route", head=head)

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

    def blob(self, digest, head):
        if self.server.opts.redirect:
            port = self.server.server_address[1]
            return self.send(307, b"", {"Location": "http://localhost:%d/_storage/%s" % (port, digest)}, head)
        self.send_blob(digest, head)

    def do_GET(self):
        self.route(False)

    def do_HEAD(self):
        self.route(True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--layout", action="append", default=[])
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--auth", default="none", choices=["none", "basic", "bearer", "bearer-public"])
    ap.add_argument("--redirect", action="store_true")
    ap.add_argument("--tamper")
    ap.add_argument("--pad")
    ap.add_argument("--log")
    opts = ap.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.opts = opts
    server.tokens = {}
    server.repos = {}
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
