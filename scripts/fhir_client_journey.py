#!/usr/bin/env python3
"""A third-party client's journey through CareLedger's FHIR R4 façade, with
fhirpy (PyPI, unmodified): read the CapabilityStatement, read the Patient,
search Conditions, page through Observations one at a time (following the
server's `next` links), and run Patient/$everything. Prints one JSON object
with what it saw, for api/tests/api/fhir_clients.rs to compare with the
server's own answers.

Usage: fhir_client_journey.py BASE_URL TOKEN PATIENT_ID
       fhir_client_journey.py --expect-refused BASE_URL TOKEN PATIENT_ID
(the second prints {"refused": status} when the server refuses the read)
"""
import json
import sys

from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome, ResourceNotFound


def journey(base, token, patient):
    client = SyncFHIRClient(base, authorization=f"Bearer {token}")
    cap = client.execute("metadata", method="get")
    me = client.reference("Patient", patient).to_resource()
    conditions = client.resources("Condition").search(patient=patient).fetch_all()
    observations = client.resources("Observation").search(patient=patient).limit(1).fetch_all()
    everything = client.reference("Patient", patient).execute("$everything", method="get")
    return {
        "fhirVersion": cap["fhirVersion"],
        "patient": me.id,
        "conditions": sorted({c.id for c in conditions}),
        "observations": sorted({o.id for o in observations}),
        "everything_total": everything["total"],
        "everything_types": sorted({e["resource"]["resourceType"] for e in everything["entry"]}),
    }


def main(argv):
    refused = argv[:1] == ["--expect-refused"]
    base, token, patient = argv[1:] if refused else argv
    if not refused:
        print(json.dumps(journey(base, token, patient)))
        return 0
    client = SyncFHIRClient(base, authorization=f"Bearer {token}")
    try:
        client.resources("Condition").search(patient=patient).fetch()
    except ResourceNotFound:
        print(json.dumps({"refused": 404}))
        return 0
    except OperationOutcome as e:
        print(json.dumps({"refused": str(e)[:200]}))
        return 0
    print(json.dumps({"refused": None}))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
