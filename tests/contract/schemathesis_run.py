"""The emulator against the official contracts, property-based (issue 18).

Starts `telform emulator` (the demo seed) as a real process and runs schemathesis against it:
the ACG swagger, and every Webex operation the emulator serves (wholesale, device and admin
specs), with a fixed seed and a bounded number of examples per operation, every phase
(the specs' examples, coverage, fuzzing, stateful links). Fails on any server error, any
response outside its operation's schema, any status code the operation does not declare, and
the other checks listed in CHECKS, except the documented allow-list in ALLOWED (spec bugs).

    python tests/contract/schemathesis_run.py --telform target/debug/telform [--max-examples N]

Prints schemathesis's own summary per suite and exits non-zero when a suite fails.
"""

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from emulator import Emulator  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
API_VERSION = "2024-02-29-preview"

# Every check but `positive_data_acceptance`, which expects a 2xx for any request that fits
# the schema: both APIs refuse schema-valid requests for reasons the schema cannot express
# (an account or customer that does not exist: 404; a telephone number whose pattern is in
# prose only; an organisation that is not managed: 404), so that check would only count the
# emulator's correct refusals. `negative_data_rejection` (schema-invalid requests must get a
# 4xx) stays on: it is the check that catches leniency.
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "missing_required_header",
    "unsupported_method",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
]

# The Webex operations the emulator serves (docs/emulator-webex.md): the suite runs these and
# only these, so that a new handler without its line here is noticed in review.
WEBEX = {
    "webex-wholesale.json": [
        ("GET", "/wholesale/customers"),
        ("POST", "/wholesale/customers"),
        ("GET", "/wholesale/customers/{customerId}"),
        ("PUT", "/wholesale/customers/{customerId}"),
        ("DELETE", "/wholesale/customers/{customerId}"),
        ("POST", "/wholesale/customers/validate"),
        ("GET", "/wholesale/subscribers"),
        ("POST", "/wholesale/subscribers"),
        ("GET", "/wholesale/subscribers/{subscriberId}"),
        ("PUT", "/wholesale/subscribers/{subscriberId}"),
        ("DELETE", "/wholesale/subscribers/{subscriberId}"),
        ("POST", "/wholesale/subscribers/validate"),
    ],
    "webex-device.json": [
        ("GET", "/locations"),
        ("POST", "/locations"),
        ("GET", "/locations/{locationId}"),
        ("PUT", "/locations/{locationId}"),
        ("DELETE", "/locations/{locationId}"),
        ("GET", "/workspaces"),
        ("POST", "/workspaces"),
        ("GET", "/workspaces/{workspaceId}"),
        ("PUT", "/workspaces/{workspaceId}"),
        ("DELETE", "/workspaces/{workspaceId}"),
        ("GET", "/telephony/config/workspaces/{workspaceId}/devices"),
        ("GET", "/devices"),
        ("POST", "/devices"),
        ("GET", "/devices/{deviceId}"),
        ("DELETE", "/devices/{deviceId}"),
        ("PATCH", "/devices/{deviceId}"),
        ("POST", "/telephony/config/devices/actions/validateMacs/invoke"),
        ("GET", "/telephony/config/supportedDevices"),
        ("GET", "/telephony/config/devices/{deviceId}/members"),
        ("PUT", "/telephony/config/devices/{deviceId}/members"),
        ("GET", "/telephony/config/devices/{deviceId}"),
        ("PUT", "/telephony/config/devices/{deviceId}"),
    ],
    "webex-admin.json": [
        ("GET", "/people"),
        ("GET", "/people/{personId}"),
        ("PUT", "/people/{personId}"),
        ("GET", "/roles"),
        ("GET", "/roles/{roleId}"),
    ],
}


def prepare_acg(out_dir):
    """The swagger, with the allow-list of its spec bugs applied (docs/emulator.md,
    "Contract suite"), each a change of the copy the run uses, never of specs/:

    - `api-version` pinned to the version served: the spec types it as any string, and a run
      of random versions would only test the one 400 for them;
    - no `produces` on the operations whose only success is 204 (the global one moved onto the
      others): a 204 has no body, so no Content-Type (RFC 9110 15.3.5), but schemathesis takes
      the global `produces` for the 204 too;
    - no `If-Modified-Since` / `If-Unmodified-Since`: RFC 9110 13.1.3 and 13.1.4 make a server
      ignore them when the value is not an HTTP-date or the resource has no modification date
      (the emulator keeps none), so no value of them can be "rejected" as schemathesis expects.
    """
    with open(os.path.join(ROOT, "specs/acg/swagger.json")) as f:
        spec = json.load(f)
    spec["parameters"]["Azure.Core.Foundations.ApiVersionParameter"]["enum"] = [API_VERSION]
    dates = {
        "#/parameters/Azure.Core.ConditionalRequestHeaders.ifModifiedSince",
        "#/parameters/Azure.Core.ConditionalRequestHeaders.ifUnmodifiedSince",
    }
    for item in spec["paths"].values():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            op["parameters"] = [p for p in op.get("parameters", []) if p.get("$ref") not in dates]
            successes = [code for code in op["responses"] if code.startswith("2")]
            if successes != ["204"]:
                op["produces"] = spec["produces"]
    # schemathesis reads an empty operation `produces` as "inherit the global one".
    del spec["produces"]
    path = os.path.join(out_dir, "acg.json")
    with open(path, "w") as f:
        json.dump(spec, f)
    return path


# The Locations API's location, as the spec's own examples of GET /locations show it
# (transcribed with PostCommonLocationObject; the same schema as the Rust contract test's
# `location_schema`, which is checked against those examples).
LOCATION = {
    "type": "object",
    "required": ["id", "name", "orgId", "address"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "orgId": {"type": "string"},
        "timeZone": {"type": "string"},
        "preferredLanguage": {"type": "string"},
        "latitude": {"type": "string"},
        "longitude": {"type": "string"},
        "notes": {"type": "string"},
        "address": {
            "type": "object",
            "required": ["address1", "city", "country"],
            "properties": {
                k: {"type": "string"} for k in ["address1", "address2", "city", "state", "postalCode", "country"]
            },
        },
    },
}


def prepare_webex(name, operations, out_dir):
    """The spec with only the operations the emulator serves (the others are 404 by design),
    and the allow-list of its bugs applied (docs/emulator.md, "Contract suite"), in the copy
    the run uses, never in specs/:

    - webex-device.json: GET /locations and GET /locations/{locationId} answer the `Location`
      component, which is the workspace-location schema (address as one string, numeric
      latitude, `countryCode`, all required), while the same operations' examples show the
      Locations API's shape, which Webex answers and the emulator too: LOCATION replaces it.
    """
    with open(os.path.join(ROOT, "specs/webex", name)) as f:
        spec = json.load(f)
    if name == "webex-device.json":
        content = "content"
        one = spec["paths"]["/locations/{locationId}"]["get"]["responses"]["200"][content]
        one["application/json"]["schema"] = LOCATION
        many = spec["paths"]["/locations"]["get"]["responses"]["200"][content]
        many["application/json"]["schema"] = {
            "type": "object",
            "required": ["items"],
            "properties": {"items": {"type": "array", "items": LOCATION}},
        }
    wanted = {(m.lower(), p) for m, p in operations}
    paths = {}
    for path, item in spec["paths"].items():
        kept = {k: v for k, v in item.items() if (k, path) in wanted or k == "parameters"}
        if any(k != "parameters" for k in kept):
            paths[path] = kept
    missing = wanted - {(m, p) for p, item in paths.items() for m in item}
    if missing:
        raise SystemExit(f"{name}: operations not in the spec: {sorted(missing)}")
    spec = copy.deepcopy(spec)
    spec["paths"] = paths
    path = os.path.join(out_dir, name)
    with open(path, "w") as f:
        json.dump(spec, f)
    return path


def webex_ids(url, token, session):
    """The ids of the seeded Webex objects, for dictionaries: random ids only ever reach the
    404 of each operation, so a share of the generated requests use real ones instead."""
    auth = {"Authorization": f"Bearer {token}"}

    def items(path, **query):
        r = session.get(f"{url}{path}", params=query, headers=auth, timeout=10)
        r.raise_for_status()
        return r.json()["items"]

    ids = {"orgs": [], "customers": [], "subscribers": [], "people": [], "locations": [],
           "workspaces": [], "devices": [], "roles": [x["id"] for x in items("/roles")]}
    for customer in items("/wholesale/customers"):
        ids["customers"].append(customer["id"])
        org = customer.get("orgId")
        if not org:
            continue
        ids["orgs"].append(org)
        ids["locations"] += [x["id"] for x in items("/locations", orgId=org)]
        ids["workspaces"] += [x["id"] for x in items("/workspaces", orgId=org)]
        ids["devices"] += [x["id"] for x in items("/devices", orgId=org)]
        for subscriber in items("/wholesale/subscribers", customerId=customer["id"]):
            ids["subscribers"].append(subscriber["id"])
        # Every person: the subscribers and each customer's first administrator.
        ids["people"] += [x["id"] for x in items("/people", orgId=org)]
    return {name: values for name, values in ids.items() if values}


def acg_ids(url, token, session):
    """The seeded ACG accounts, numbers, consents and civic addresses, for dictionaries."""
    auth = {"Authorization": f"Bearer {token}"}

    def values(path):
        r = session.get(f"{url}{path}", params={"api-version": API_VERSION}, headers=auth, timeout=10)
        r.raise_for_status()
        return r.json()["value"]

    accounts = [a["name"] for a in values("/accounts")]
    ids = {
        "accounts": accounts,
        "numbers": [n["telephoneNumber"] for n in values("/numbers")][:50],
        "tenants": [r["tenantId"] for r in values("/teamsRequestsForInformation")],
        "civic": [c["id"] for a in accounts for c in values(f"/accounts/{a}/teamsCivicAddresses")],
    }
    return {name: v for name, v in ids.items() if v}


def dictionaries(ids, bindings):
    """schemathesis.toml binding seeded ids to the parameters that take them, each with a
    probability so that random (unknown) ids are still tried."""
    lines = []
    for name, values in ids.items():
        lines.append(f"[dictionaries.{name}]")
        lines.append("values = [" + ", ".join(json.dumps(v) for v in values) + "]")
    lines.append("[parameters]")
    for key, name in bindings.items():
        if name in ids:
            lines.append(f'"{key}" = {{ dictionary = "{name}", probability = 0.7 }}')
    return "\n".join(lines) + "\n"


ACG_BINDINGS = {
    "path.accountName": "accounts",
    "path.telephoneNumber": "numbers",
    "path.tenantId": "tenants",
    "path.civicAddressId": "civic",
}


def webex_config(ids):
    return dictionaries(
        ids,
        {
            "query.orgId": "orgs",
            "query.customerId": "customers",
            "path.customerId": "customers",
            "path.subscriberId": "subscribers",
            "path.personId": "people",
            "query.personId": "people",
            "path.locationId": "locations",
            "query.locationId": "locations",
            "path.workspaceId": "workspaces",
            "query.workspaceId": "workspaces",
            "path.deviceId": "devices",
            "path.roleId": "roles",
            "query.roles": "roles",
        },
    )


def run(label, spec, url, token, args, config=None):
    """One schemathesis run; returns (exit code, seconds)."""
    options = []
    if config:
        path = os.path.join(args.report_dir, f"{label}.toml")
        with open(path, "w") as f:
            f.write(config)
        options = ["--config-file", path]
    cmd = [
        os.path.join(os.path.dirname(sys.executable), "schemathesis"),
        *options,
        "run",
        spec,
        "--url",
        url,
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        ",".join(CHECKS),
        "--seed",
        str(args.seed),
        "--max-examples",
        str(args.max_examples),
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--request-timeout",
        "10",
        "--no-color",
        "--report",
        "junit,har",
        "--report-har-path",
        os.path.join(args.report_dir, f"{label}.har"),
        "--report-junit-path",
        os.path.join(args.report_dir, f"{label}.xml"),
        # The token would otherwise be printed in reproduction commands.
        "--output-sanitize",
        "true",
    ]
    print(f"\n==> schemathesis: {label} ({spec})", flush=True)
    started = time.monotonic()
    code = subprocess.call(cmd, cwd=args.report_dir)
    took = time.monotonic() - started
    print(f"==> {label}: exit {code} in {took:.0f} s", flush=True)
    return code, took


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--telform", default=os.path.join(ROOT, "target/debug/telform"))
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("--report-dir", default=None)
    parser.add_argument("--only", choices=["acg", "webex"], default=None)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="telform-schemathesis-")
    args.report_dir = os.path.abspath(args.report_dir or work)
    os.makedirs(args.report_dir, exist_ok=True)

    results = []
    # A fresh emulator for each suite: a run deletes what it finds (customers, devices), and
    # the next suite must start from the seed again.
    if args.only in (None, "acg"):
        with Emulator(args.telform) as emu, requests.Session() as session:
            token = emu.acg_token(session)
            url = emu.env["TELFORM_ACG_URL"]
            config = dictionaries(acg_ids(url, token, session), ACG_BINDINGS)
            results.append(("acg", *run("acg", prepare_acg(work), url, token, args, config)))
    if args.only in (None, "webex"):
        for name, operations in WEBEX.items():
            spec = prepare_webex(name, operations, work)
            label = name.removesuffix(".json")
            with Emulator(args.telform) as emu, requests.Session() as session:
                token = emu.env["TELFORM_WEBEX_TOKEN"]
                url = emu.env["TELFORM_WEBEX_URL"]
                config = webex_config(webex_ids(url, token, session))
                results.append((label, *run(label, spec, url, token, args, config)))
    print("\n==> contract suite (schemathesis)")
    for label, code, took in results:
        print(f"{label}: {'passed' if code == 0 else 'FAILED'} ({took:.0f} s)")
    print(f"reports: {args.report_dir}")
    failed = sum(1 for _, code, _ in results if code != 0)
    print(f"schemathesis: {len(results) - failed} passed, {failed} failed")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
