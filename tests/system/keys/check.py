#!/usr/bin/env python3
"""Every key of the Compose Specification, from keys.tsv, set alone in a
small project and run through `up --dry-run`: a refused key must fail with
"not supported" at the key's file:line:col, a warned key must pass with a warning at it, an
honoured key must pass without a word and name the test that observes
its effect.  A key that passes silently without being listed as honoured
is a failure: that is a key ccompose ignores.

keys.tsv columns (tab separated): KEY  CLASS  VALUE  WITH  PROOF
  KEY    the key's path in the spec's schema: `*` a name, `[]` a list item
  CLASS  honoured | refused | warned (Swarm-only: ignored with a warning,
         as Docker Compose does) | as-docker (accepted without effect, as
         Docker on this kind of host does: PROOF says why) | group (holds
         keys that have rows of their own)
  VALUE  the value, in YAML flow syntax
  WITH   `PATH=VALUE` pairs, ` ; ` between them: what the key needs beside it
  PROOF  for honoured keys, the test that observes the effect:
         test-FILE.sh:FUNCTION or unit/test-FILE.c:FUNCTION; for refused
         keys `-` (the refusal says "not supported") or the words of the
         refusal (the builder says why it cannot honour a value)
spec-keys.txt is the list of keys, derived from the schema by derive.py:
every one must have a row, and no row may name another.
Usage: check.py KEYS.TSV SPEC-KEYS CCOMPOSE WORKDIR [KEY-SUBSTRING]"""
import os, re, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
IMAGE = "keys-img"


def parse_path(path):
    out = []
    for part in path.split("."):
        list_item = part.endswith("[]")
        name = part[:-2] if list_item else part
        out.append(name)
        if list_item:
            out.append("[]")
    return out


def default_name(parent):
    return {"services": "s", "ulimits": "nofile"}.get(parent, "k")


def insert(tree, segs, value):
    """TREE: dict of key -> subtree (dict), ["[]", dict] for a list, or a
    str (raw flow YAML).  Returns the key path actually used."""
    node, used, parent = tree, [], None
    for i, seg in enumerate(segs):
        last = i == len(segs) - 1
        if seg == "*":
            seg = default_name(parent)
        if seg == "[]":
            continue
        nxt_is_list = i + 1 < len(segs) and segs[i + 1] == "[]"
        used.append(seg)
        if last:
            node[seg] = value
            break
        if seg not in node or isinstance(node[seg], str):
            node[seg] = ["[]", {}] if nxt_is_list else {}
        node = node[seg][1] if isinstance(node[seg], list) else node[seg]
        parent = seg
    return used


def emit(tree, target):
    """Block YAML; returns the text and the (line, col) of the key at
    TARGET, then of each of its parents up to the top."""
    lines, where = [], {}

    def walk(node, indent, path, first_prefix=None):
        for j, (k, v) in enumerate(node.items()):
            prefix = first_prefix if (j == 0 and first_prefix) else " " * indent
            p = path + [k]
            if p == target[: len(p)]:
                where[len(p)] = (len(lines) + 1, len(prefix) + 1)
            if isinstance(v, str):
                lines.append(f"{prefix}{k}: {v}")
            elif isinstance(v, list):
                lines.append(f"{prefix}{k}:")
                walk(v[1], indent + 4, p, " " * (indent + 2) + "- ")
            else:
                lines.append(f"{prefix}{k}:" if v else f"{prefix}{k}: {{}}")
                walk(v, indent + 2, p)

    walk(tree, 0, [])
    return "\n".join(lines) + "\n", [where[k] for k in sorted(where, reverse=True)]


def proof_exists(proof):
    m = re.fullmatch(r"(unit/)?(test-[\w-]+\.(?:sh|c)):(\w+)", proof)
    if not m:
        return False
    path = os.path.join(TESTS, "..", "unit" if m.group(1) else "system", m.group(2))
    try:
        text = open(path).read()
    except OSError:
        return False
    return re.search(r"^(static void\s+)?%s\s*\(" % re.escape(m.group(3)), text, re.M) is not None


def check(row, ccompose, work):
    key, cls, value, with_, proof = row
    tree = {"services": {"s": {"image": IMAGE}}}
    target = insert(tree, parse_path(key), value)
    for pair in filter(None, (w.strip() for w in with_.split(" ; "))):
        p, v = pair.split("=", 1)
        insert(tree, parse_path(p), v)
    text, spots = emit(tree, target)
    f = os.path.join(work, "compose.yaml")
    with open(f, "w") as fh:
        fh.write(text)
    r = subprocess.run([ccompose, "--dry-run", "-f", f, "-p", "keys", "up"], capture_output=True, text=True,
                       cwd=work, stdin=subprocess.DEVNULL, timeout=60)
    # On the key's line (the key or its value), or a parent's: a refusal
    # or warning of a parent covers its children (`develop`).
    said = any(f"compose.yaml:{line}:" in r.stderr for line, _ in spots[:-2])
    at = "compose.yaml:%d:%d:" % spots[0]
    if os.environ.get("KEYS_PROBE"):
        print(f"{key}\t{r.returncode}\t{int(said)}\t{r.stderr.strip().splitlines()[0] if r.stderr.strip() else ''}")
        return None
    why = None
    # A refusal says so: an error about the value would hide a key the
    # table calls refused.
    refusal = proof if cls == "refused" and proof != "-" else "not supported"
    if cls == "refused" and (r.returncode == 0 or not said or refusal not in r.stderr):
        why = f"refused key: wanted `{refusal}` at {at}"
    elif cls == "warned" and (r.returncode != 0 or not said):
        why = f"Swarm-only key: wanted a warning at {at} and success"
    elif cls in ("honoured", "group", "as-docker") and (r.returncode != 0 or said):
        why = "wanted a silent success"
    elif cls == "honoured" and not proof_exists(proof):
        why = f"honoured key without a test that observes it (`{proof}`)"
    elif cls == "as-docker" and not proof.startswith("docker: "):
        why = "accepted without effect: say why Docker does the same (`docker: ...`)"
    elif cls not in ("honoured", "refused", "warned", "group", "as-docker"):
        why = f"unknown class `{cls}`"
    if why:
        return f"{key}: {why}; exit {r.returncode}\n--- compose.yaml\n{text}--- stderr\n{r.stderr}"
    return None


def main():
    table, spec_keys, ccompose, work = sys.argv[1:5]
    only = sys.argv[5] if len(sys.argv) > 5 else ""
    rows, failures = [], []
    for n, raw in enumerate(open(table), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        cols = raw.rstrip("\n").split("\t")
        if len(cols) != 5:
            failures.append(f"{table}:{n}: want 5 tab-separated columns, got {len(cols)}")
            continue
        rows.append(cols)
    spec = [k.strip() for k in open(spec_keys) if k.strip()]
    # What `build:` keys build from (a dry run reads it, builds nothing).
    with open(os.path.join(work, "Dockerfile"), "w") as fh:
        fh.write("FROM scratch\n")
    # What label_file reads.
    with open(os.path.join(work, "l.env"), "w") as fh:
        fh.write("keys.l=1\n")
    listed = {r[0] for r in rows}
    failures += [f"{k}: a key of the spec without a row in {table}" for k in spec if k not in listed]
    failures += [f"{k}: not a key of the spec ({spec_keys})" for k in sorted(listed - set(spec))]
    for row in rows:
        if only in row[0]:
            msg = check(row, ccompose, work)
            if msg:
                failures.append(msg)
    counts = {}
    for r in rows:
        counts[r[1]] = counts.get(r[1], 0) + 1
    print("keys: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    for f in failures:
        print(f, file=sys.stderr)
    sys.exit(1 if failures else 0)


main()
