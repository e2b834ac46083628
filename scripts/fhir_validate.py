#!/usr/bin/env python3
"""Validates a FHIR R4 Bundle with the `fhir.resources` models (R4B package,
which shares R4's shape for every resource CareLedger exports) and checks
that every `urn:uuid:` reference resolves inside the bundle.

Usage: fhir_validate.py BUNDLE.json
Prints one JSON object: {"valid": bool, "errors": [...], "counts": {type: n},
"unresolved_references": [...]} and exits 0 when valid.
"""
import json
import sys

from fhir.resources.R4B.bundle import Bundle


def references(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)


def main(path):
    with open(path, encoding="utf-8") as f:
        raw = json.load(f)
    errors = []
    try:
        Bundle.model_validate(raw) if hasattr(Bundle, "model_validate") else Bundle.parse_obj(raw)
    except Exception as e:  # the validation error lists every problem
        errors.append(str(e))
    counts = {}
    full_urls = set()
    for entry in raw.get("entry", []):
        resource = entry.get("resource", {})
        kind = resource.get("resourceType", "?")
        counts[kind] = counts.get(kind, 0) + 1
        full_urls.add(entry.get("fullUrl"))
    unresolved = sorted(
        {r for r in references(raw.get("entry", [])) if r.startswith("urn:uuid:") and r not in full_urls}
    )
    result = {
        "valid": not errors and not unresolved,
        "errors": errors,
        "counts": counts,
        "unresolved_references": unresolved,
    }
    print(json.dumps(result))
    return 0 if result["valid"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
