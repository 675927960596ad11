#!/usr/bin/python3
# `ccompose config` against Debian's docker-compose (1.29) on the files
# of tests/compose/docker-diff/: the services of both, brought to one
# form, must be equal.  docker-compose 1.29 prints the short forms Docker
# Compose v2 expands (ports, volumes, command as a string, extra_hosts
# with ':'); both sides are normalised here, by the rules below, and
# nothing else is rewritten.  Run with Debian's python3: the compose
# package is its.
#   compose-diff.py CCOMPOSE DIR...
import json, os, shlex, subprocess, sys

import yaml
from compose.config import config as v1config
from compose.config.environment import Environment
from compose.config.serialize import serialize_config


def port(p):
    if isinstance(p, dict):
        out = {"target": int(p["target"]), "protocol": p.get("protocol", "tcp")}
        if p.get("published") is not None:
            out["published"] = str(p["published"])
        if p.get("host_ip"):
            out["host_ip"] = p["host_ip"]
        return out
    text, _, proto = str(p).partition("/")
    parts = text.rsplit(":", 2)
    out = {"target": int(parts[-1]), "protocol": proto or "tcp"}
    if len(parts) >= 2 and parts[-2]:
        out["published"] = parts[-2]
    if len(parts) == 3 and parts[0]:
        out["host_ip"] = parts[0]
    return out


def volume(v):
    if isinstance(v, dict):
        out = {k: v[k] for k in ("type", "source", "target") if v.get(k) is not None}
        if v.get("read_only"):
            out["read_only"] = True
        return out
    parts = str(v).split(":")
    if len(parts) == 1:
        return {"type": "volume", "target": parts[0]}
    out = {"source": parts[0], "target": parts[1]}
    out["type"] = "bind" if parts[0].startswith(("/", ".")) else "volume"
    if len(parts) > 2 and "ro" in parts[2].split(","):
        out["read_only"] = True
    return out


def host(h):
    name, _, ip = h.replace("=", ":", 1).partition(":")
    return [name, ip]


def depends(d):
    if isinstance(d, list):
        d = {k: {"condition": "service_started"} for k in d}
    return {k: {"condition": v.get("condition", "service_started")} for k, v in d.items()}


def sorted_json(x):
    return json.dumps(x, sort_keys=True)


# Docker Compose v2 prints sizes in bytes; 1.29 as written.
def size(m):
    text = str(m).lower().rstrip("b")
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    return str(int(text[:-1]) * units[text[-1]]) if text[-1:] in units else text


def words(c):
    return shlex.split(c) if isinstance(c, str) else c


RULES = {
    "ports": lambda l: sorted((port(p) for p in l), key=sorted_json),
    "volumes": lambda l: sorted((volume(v) for v in l), key=sorted_json),
    "extra_hosts": lambda l: sorted(host(h) for h in l),
    "depends_on": depends,
    "command": words,
    "entrypoint": words,
    "expose": lambda l: sorted(str(e) for e in l),
    "sysctls": lambda d: {k: str(v) for k, v in d.items()},
    "environment": lambda d: {k: None if v is None else str(v) for k, v in d.items()},
    "networks": lambda d: {k: {a: b for a, b in (v or {}).items() if b} or None for k, v in d.items()},
    "mem_limit": lambda m: size(m),
    "shm_size": lambda m: size(m),
}


# Left out on both sides: what is empty or false (v2 omits it), and the
# default network v2 writes for a service that names none (1.29 does not).
def service(s):
    out = {k: RULES.get(k, lambda x: x)(v) for k, v in s.items() if v not in (None, [], {}, False)}
    if out.get("networks") == {"default": None}:
        del out["networks"]
    return out


def docker_compose(d):
    details = v1config.find(d, ["compose.yaml"], Environment.from_env_file(d))
    return yaml.safe_load(serialize_config(v1config.load(details)))["services"]


def ccompose(binary, d):
    out = subprocess.run([binary, "config", "--format", "json"], cwd=d, capture_output=True, text=True,
                         env={"PATH": os.environ["PATH"], "HOME": "/nonexistent"})
    if out.returncode != 0:
        raise SystemExit(f"{d}: ccompose config failed: {out.stderr.strip()}")
    return json.loads(out.stdout)["services"]


def main():
    binary, dirs = sys.argv[1], sys.argv[2:]
    bad = 0
    for d in dirs:
        theirs, ours = docker_compose(d), ccompose(binary, d)
        for name in sorted(set(theirs) | set(ours)):
            a, b = service(theirs.get(name, {})), service(ours.get(name, {}))
            for key in sorted(set(a) | set(b)):
                if a.get(key) != b.get(key):
                    print(f"{os.path.basename(d.rstrip('/'))}: services.{name}.{key}: docker-compose {a.get(key)!r}, "
                          f"ccompose {b.get(key)!r}")
                    bad += 1
    sys.exit(1 if bad else 0)


main()
