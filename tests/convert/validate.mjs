#!/usr/bin/env node
// Offline checks of what `ccompose convert` writes (issue 18), with no
// cluster:
//
//   node tests/convert/validate.mjs [--external Kind/name]... PATH...
//
// PATH is a YAML stream or a directory of them (kustomization.yaml is
// kubectl kustomize's to check).  Three passes over every document:
//
// 1. schema: the kubernetes-models validators (ajv, compiled from the
//    Kubernetes 1.33.0 OpenAPI schemas): types, required fields, enums,
//    formats.  Documents are read as YAML 1.1, as Kubernetes' decoder
//    does, so an unquoted `on` or `0755` shows up as the wrong type.
// 2. strict: those validators let unknown fields through; here every
//    field of every object must be one its schema declares (the property
//    lists of the same package's type declarations), as
//    `kubectl apply --validate=strict` would demand of a cluster.
// 3. lint: what no schema says: names (DNS-1123), selectors that select
//    their workload, Service ports that reach container ports, names a
//    container mentions that have a Service, references to ConfigMaps,
//    Secrets, claims and volumes that exist, probe ports, claim sizes.
//
// Prints one line per problem and exits 1 when there is any.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import YAML from "yaml";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const MODELS = path.join(here, "node_modules", "kubernetes-models");
const APIMACHINERY = path.join(here, "node_modules", "@kubernetes-models", "apimachinery");
const modelsVersion = JSON.parse(fs.readFileSync(path.join(MODELS, "package.json"), "utf8")).version;
// kubernetes-models' changelog: 4.5.0 "Update schema version to v1.33.0".
const SCHEMA_VERSION = { "4.5.1": "1.33.0" }[modelsVersion] ?? "unknown";

const problems = [];
const problem = (where, msg) => problems.push(`${where}: ${msg}`);

// ---- input ------------------------------------------------------------

function readDocs(p) {
  const files = fs.statSync(p).isDirectory()
    ? fs.readdirSync(p).filter((f) => /\.ya?ml$/.test(f) && f !== "kustomization.yaml").sort().map((f) => path.join(p, f))
    : [p];
  const docs = [];
  for (const file of files) {
    for (const d of YAML.parseAllDocuments(fs.readFileSync(file, "utf8"), { version: "1.1", uniqueKeys: true })) {
      if (d.errors.length) {
        problem(file, `YAML: ${d.errors[0].message}`);
        continue;
      }
      const obj = d.toJS();
      if (obj !== null) docs.push({ file: path.basename(file), obj });
    }
  }
  return docs;
}

const id = (o) => `${o.kind}/${o.metadata?.name}`;

// ---- 1. schema -----------------------------------------------------------

function modelClass(apiVersion, kind) {
  const group = apiVersion.includes("/") ? apiVersion : `v1`;
  try {
    return require(path.join(MODELS, group === "v1" ? "v1" : group, kind + ".js"))[kind];
  } catch {
    return null;
  }
}

function schemaCheck({ file, obj }) {
  const Cls = modelClass(obj.apiVersion ?? "", obj.kind ?? "");
  if (!Cls) return problem(`${file}: ${id(obj)}`, `no schema for ${obj.apiVersion} ${obj.kind}`);
  try {
    new Cls(obj).validate();
  } catch (e) {
    problem(`${file}: ${id(obj)}`, `schema: ${e.message}`);
  }
}

// ---- 2. strict: the declared properties of every interface -----------------

const interfaces = new Map(); // fully qualified name -> Map(prop -> type)
const fileInterfaces = new Map(); // file -> Map(local name -> Map(prop -> type))

function typeEnd(body, i) {
  let depth = 0;
  for (; i < body.length; i++) {
    const ch = body[i];
    if ("{<(".includes(ch)) depth++;
    else if ("}>)".includes(ch)) depth--;
    else if (ch === ";" && depth === 0) return i;
  }
  return i;
}

function parseProps(body) {
  const props = new Map();
  const text = body.replace(/\/\*[\s\S]*?\*\//g, "");
  const re = /"([^"]+)"\??:\s*/g;
  let m;
  while ((m = re.exec(text))) {
    const end = typeEnd(text, re.lastIndex);
    props.set(m[1], text.slice(re.lastIndex, end).trim());
    re.lastIndex = end + 1;
  }
  return props;
}

function loadDeclarations(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules") loadDeclarations(p);
      continue;
    }
    if (!entry.name.endsWith(".d.ts")) continue;
    const src = fs.readFileSync(p, "utf8");
    const local = new Map();
    for (const m of src.matchAll(/export interface (\w+)(?: extends [\w<>, ]+)? \{\n([\s\S]*?)\n\}/g))
      local.set(m[1], parseProps(m[2]));
    fileInterfaces.set(p, local);
    for (const m of src.matchAll(/export (?:type )?\{([^}]*)\}/g))
      for (const part of m[1].split(",")) {
        const [from, to] = part.trim().split(/\s+as\s+/);
        if (to && local.has(from)) interfaces.set(to, local.get(from));
      }
  }
}

function strictCheck(where, value, type) {
  type = type.trim();
  let m;
  if ((m = type.match(/^Array<(.+)>$/s))) {
    if (Array.isArray(value)) value.forEach((v, i) => strictCheck(`${where}[${i}]`, v, m[1]));
    return;
  }
  if ((m = type.match(/^\{\s*\[key: string\]:\s*([\s\S]+?);?\s*\}$/))) {
    if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) strictCheck(`${where}.${k}`, v, m[1]);
    return;
  }
  const props = interfaces.get(type);
  if (!props || !value || typeof value !== "object" || Array.isArray(value)) return;
  for (const [k, v] of Object.entries(value)) {
    if (!props.has(k)) problem(where, `unknown field \`${k}\``);
    else strictCheck(`${where}.${k}`, v, props.get(k));
  }
}

function topProps(obj) {
  const group = (obj.apiVersion ?? "").includes("/") ? obj.apiVersion : "v1";
  const file = path.join(MODELS, group, `${obj.kind}.d.ts`);
  return fileInterfaces.get(file)?.get(`I${obj.kind}`);
}

function strictTop({ file, obj }) {
  const props = topProps(obj);
  if (!props) return;
  const where = `${file}: ${id(obj)}`;
  for (const [k, v] of Object.entries(obj)) {
    if (!props.has(k)) problem(where, `unknown field \`${k}\``);
    else strictCheck(`${where}: ${k}`, v, props.get(k));
  }
}

// ---- 3. lint -----------------------------------------------------------------

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const isSubdomain = (s) => typeof s === "string" && s.length <= 253 && s.split(".").every((p) => DNS_LABEL.test(p));
const QUALIFIED = /^([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/;
const isLabelKey = (k) => {
  const parts = k.split("/");
  if (parts.length > 2) return false;
  if (parts.length === 2 && !isSubdomain(parts[0])) return false;
  return QUALIFIED.test(parts[parts.length - 1]);
};
const isLabelValue = (v) => v === "" || (typeof v === "string" && v.length <= 63 && QUALIFIED.test(v));
const isPortName = (n) => n.length <= 15 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(n) && /[a-z]/.test(n) && !n.includes("--");
const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet", "Job"]);

function podOf(o) {
  return WORKLOADS.has(o.kind) ? o.spec?.template : null;
}

function containersOf(pod) {
  return [...(pod?.spec?.initContainers ?? []), ...(pod?.spec?.containers ?? [])];
}

function matches(selector, labels) {
  return Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
}

// Host names a text mentions: runs of [A-Za-z0-9_.-], as convert/names.c reads them.
const words = (text) => String(text).split(/[^A-Za-z0-9_.-]+/).filter(Boolean);

function lintNames(docs) {
  const seen = new Map();
  for (const { file, obj } of docs) {
    const where = `${file}: ${id(obj)}`;
    const name = obj.metadata?.name;
    const label = obj.kind === "Service" || obj.kind === "Namespace";
    if (!(label ? DNS_LABEL.test(name ?? "") : isSubdomain(name))) problem(where, `name \`${name}\` is not a DNS-1123 ${label ? "label" : "subdomain"}`);
    if (seen.has(id(obj))) problem(where, `also in ${seen.get(id(obj))}`);
    seen.set(id(obj), file);
    for (const field of ["labels", "annotations"])
      for (const [k, v] of Object.entries(obj.metadata?.[field] ?? {})) {
        if (!isLabelKey(k)) problem(where, `${field} key \`${k}\` is not a qualified name`);
        if (field === "labels" && !isLabelValue(v)) problem(where, `label value \`${v}\` is not valid`);
      }
  }
}

function lintWorkloads(docs, byId, external) {
  const exists = (kind, name) => byId.has(`${kind}/${name}`) || external.has(`${kind}/${name}`);
  const workloadNames = new Set(docs.filter((d) => WORKLOADS.has(d.obj.kind)).map((d) => d.obj.metadata.name));
  for (const { file, obj } of docs) {
    const pod = podOf(obj);
    if (!pod) continue;
    const where = `${file}: ${id(obj)}`;
    const labels = pod.metadata?.labels ?? {};
    if (obj.kind !== "Job" && !matches(obj.spec?.selector?.matchLabels, labels)) problem(where, "selector does not match the pod template's labels");
    for (const [k, v] of Object.entries(labels)) if (!isLabelKey(k) || !isLabelValue(v)) problem(where, `pod label \`${k}: ${v}\` is not valid`);
    if (obj.kind === "StatefulSet" && !exists("Service", obj.spec.serviceName)) problem(where, `serviceName \`${obj.spec.serviceName}\` has no Service`);
    const volumes = new Set((pod.spec?.volumes ?? []).map((v) => v.name));
    for (const t of obj.spec?.volumeClaimTemplates ?? []) volumes.add(t.metadata?.name);
    for (const v of pod.spec?.volumes ?? []) {
      if (!DNS_LABEL.test(v.name)) problem(where, `volume name \`${v.name}\` is not a DNS label`);
      if (v.configMap && !exists("ConfigMap", v.configMap.name)) problem(where, `volume ${v.name}: no ConfigMap \`${v.configMap.name}\``);
      if (v.secret && !exists("Secret", v.secret.secretName)) problem(where, `volume ${v.name}: no Secret \`${v.secret.secretName}\``);
      if (v.persistentVolumeClaim && !exists("PersistentVolumeClaim", v.persistentVolumeClaim.claimName))
        problem(where, `volume ${v.name}: no PersistentVolumeClaim \`${v.persistentVolumeClaim.claimName}\``);
      for (const item of v.configMap?.items ?? []) checkKey(where, byId.get(`ConfigMap/${v.configMap.name}`), item.key);
      for (const item of v.secret?.items ?? []) checkKey(where, byId.get(`Secret/${v.secret.secretName}`), item.key);
    }
    const names = new Set();
    for (const c of containersOf(pod)) {
      const cw = `${where}: container ${c.name}`;
      if (!DNS_LABEL.test(c.name)) problem(cw, "name is not a DNS label");
      if (names.has(c.name)) problem(cw, "name used twice in the pod");
      names.add(c.name);
      for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) problem(cw, `mounts \`${m.name}\`, which the pod does not have`);
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.configMapKeyRef ?? e.valueFrom?.secretKeyRef;
        const kind = e.valueFrom?.configMapKeyRef ? "ConfigMap" : "Secret";
        if (ref && !exists(kind, ref.name)) problem(cw, `env ${e.name}: no ${kind} \`${ref.name}\``);
        else if (ref) checkKey(cw, byId.get(`${kind}/${ref.name}`), ref.key);
      }
      const ports = c.ports ?? [];
      for (const p of ports) if (p.name && !isPortName(p.name)) problem(cw, `port name \`${p.name}\` is not an IANA service name`);
      for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) {
        const port = c[probe]?.httpGet?.port ?? c[probe]?.tcpSocket?.port ?? c[probe]?.grpc?.port;
        if (port !== undefined && !ports.some((p) => p.containerPort === port || p.name === port)) problem(cw, `${probe} port ${port} is not a container port`);
      }
      // Every workload a container names must be reachable by that name.
      const texts = [...(c.command ?? []), ...(c.args ?? []), ...(c.env ?? []).map((e) => e.value ?? "")];
      for (const w of new Set(texts.flatMap(words)))
        if (workloadNames.has(w) && w !== obj.metadata.name && !exists("Service", w)) problem(cw, `names \`${w}\`, which has no Service`);
    }
  }
}

function checkKey(where, object, key) {
  if (object && !(key in (object.data ?? {})) && !(key in (object.binaryData ?? {}))) problem(where, `${id(object)} has no key \`${key}\``);
}

function lintServices(docs) {
  const workloads = docs.filter((d) => podOf(d.obj));
  for (const { file, obj } of docs.filter((d) => d.obj.kind === "Service")) {
    const where = `${file}: ${id(obj)}`;
    const spec = obj.spec ?? {};
    const targets = workloads.filter((w) => matches(spec.selector, podOf(w.obj).metadata?.labels));
    if (!spec.selector || Object.keys(spec.selector).length === 0) problem(where, "has no selector");
    else if (targets.length === 0) problem(where, "selects no workload's pods");
    if (spec.clusterIP !== "None" && !(spec.ports ?? []).length) problem(where, "has no port and is not headless");
    const names = new Set();
    for (const p of spec.ports ?? []) {
      if (!(p.port >= 1 && p.port <= 65535)) problem(where, `port ${p.port} out of range`);
      if ((spec.ports.length > 1 || p.name) && !(p.name && isPortName(p.name))) problem(where, `port ${p.port} needs a valid name`);
      if (names.has(p.name)) problem(where, `port name \`${p.name}\` used twice`);
      names.add(p.name);
      const target = p.targetPort ?? p.port;
      for (const w of targets) {
        const cports = containersOf(podOf(w.obj)).flatMap((c) => c.ports ?? []);
        if (!cports.some((cp) => (cp.containerPort === target || cp.name === target) && (cp.protocol ?? "TCP") === (p.protocol ?? "TCP")))
          problem(where, `targetPort ${target}/${p.protocol ?? "TCP"} is not a port of ${id(w.obj)}'s containers`);
      }
    }
  }
}

function lintOthers(docs) {
  const workloads = docs.filter((d) => podOf(d.obj));
  for (const { file, obj } of docs) {
    const where = `${file}: ${id(obj)}`;
    if (obj.kind === "PersistentVolumeClaim") {
      if (!(obj.spec?.accessModes ?? []).length) problem(where, "has no accessModes");
      if (!obj.spec?.resources?.requests?.storage) problem(where, "asks for no storage size");
    }
    if (obj.kind === "NetworkPolicy" && !workloads.some((w) => matches(obj.spec?.podSelector?.matchLabels, podOf(w.obj).metadata?.labels)))
      problem(where, "selects no workload's pods");
    if (obj.kind === "ConfigMap" || obj.kind === "Secret")
      for (const k of [...Object.keys(obj.data ?? {}), ...Object.keys(obj.binaryData ?? {})])
        if (!/^[-._a-zA-Z0-9]+$/.test(k)) problem(where, `key \`${k}\` is not valid`);
  }
}

// ---- main --------------------------------------------------------------------

const args = process.argv.slice(2);
const external = new Set();
const paths = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--external") external.add(args[++i]);
  else paths.push(args[i]);
}
if (!paths.length) {
  console.error("usage: validate.mjs [--external Kind/name]... FILE|DIR...");
  process.exit(2);
}
loadDeclarations(MODELS);
loadDeclarations(APIMACHINERY);
const docs = paths.flatMap(readDocs);
const byId = new Map(docs.map((d) => [id(d.obj), d.obj]));
for (const d of docs) {
  schemaCheck(d);
  strictTop(d);
}
lintNames(docs);
lintWorkloads(docs, byId, external);
lintServices(docs);
lintOthers(docs);
for (const p of problems) console.log(p);
console.log(
  `validate: ${docs.length} objects, kubernetes-models ${modelsVersion} (Kubernetes ${SCHEMA_VERSION} schemas, strict), ` +
    `${problems.length} problem(s)`,
);
process.exit(problems.length ? 1 : 0);
