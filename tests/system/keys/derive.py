# The key paths of a Compose Specification JSON schema, one a line: `*` a
# name, `[]` a list item.  Usage: derive.py compose-spec.json > spec-keys.txt
import json, sys
s = json.load(open(sys.argv[1]))
D = s['definitions']
out = []
def resolve(n):
    while isinstance(n, dict) and '$ref' in n:
        n = D[n['$ref'].split('/')[-1]]
    return n
def walk(n, path, depth=0):
    n = resolve(n)
    if not isinstance(n, dict) or depth > 6:
        return
    for alt in ('oneOf', 'anyOf', 'allOf'):
        for a in n.get(alt, []):
            walk(a, path, depth + 1)
    if 'items' in n:
        walk(n['items'], path + '[]', depth + 1)
    for k, v in n.get('properties', {}).items():
        p = path + '.' + k
        out.append(p)
        walk(v, p, depth + 1)
    for pat, v in n.get('patternProperties', {}).items():
        if pat.startswith('^x-'):
            continue
        if isinstance(v, dict) and resolve(v).get('type') in ('object', None) and (resolve(v).get('properties') or resolve(v).get('oneOf') or resolve(v).get('anyOf')):
            walk(v, path + '.*', depth + 1)
    if isinstance(n.get('additionalProperties'), dict):
        walk(n['additionalProperties'], path + '.*', depth + 1)
for top, d in (('services.*', 'service'), ('networks.*', 'network'), ('volumes.*', 'volume'), ('secrets.*', 'secret'), ('configs.*', 'config')):
    walk(D[d], top)
seen = []
for p in out:
    if p not in seen:
        seen.append(p)
print('\n'.join(seen))
