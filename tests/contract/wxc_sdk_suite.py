"""The emulator's Webex half driven by Cisco's own Python SDK, wxc_sdk, unchanged (issue 18).

A real client finds what a suite written by the emulator's authors would not: its models
require fields the specs mark optional, its update is a GET, a change and a PUT of the whole
object, it leaves out what it thinks the server infers. Every operation of the Webex half
that wxc_sdk has is called here against `telform emulator` (a real process, the demo seed):
customers and subscribers (through wxc_sdk's REST session: it has no wholesale API), locations,
location numbers, phone numbers, workspaces (create, update, delete), workspace devices,
devices by MAC, device tags, telephony device details, members, the SIP password, supported
devices, validateMacs, people, roles.

    python tests/contract/wxc_sdk_suite.py --telform target/debug/telform

Prints one line per step and `N passed, N failed`; exits non-zero when a step fails.
"""

import argparse
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from emulator import Emulator  # noqa: E402

from wxc_sdk import WebexSimpleApi  # noqa: E402
from wxc_sdk.devices import TagOp  # noqa: E402
from wxc_sdk.rest import RestSession  # noqa: E402
from wxc_sdk.telephony.devices import DeviceMember  # noqa: E402
from wxc_sdk.workspaces import CallingType, Workspace, WorkspaceCalling, WorkspaceSupportedDevices  # noqa: E402
from wxc_sdk.workspaces import WorkspaceWebexCalling  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The demo seed (examples/emulator/seed.json): Acme, provisioned with webex_calling and
# common_area_calling, its Paris HQ and Lyon, Camille Bernard with her Cisco 8865.
ACME = "ACME-0001"
CAMILLE = "camille.bernard@acme.example"
NEW_NUMBERS = ["+33491000100", "+33491000101"]
MAC = "0004F2AABB01"


class Failed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failed(message)


class Suite:
    def __init__(self, api):
        self.api = api
        self.rest = api.session
        self.state = {}
        self.passed = 0
        self.failed = 0

    def step(self, name, fn):
        started = time.monotonic()
        try:
            fn()
        except Exception as error:  # noqa: BLE001 - every failure is reported, then counted
            self.failed += 1
            print(f"FAIL {name}: {type(error).__name__}: {error}")
            traceback.print_exc(limit=3)
            return False
        self.passed += 1
        print(f"ok   {name} ({(time.monotonic() - started) * 1000:.0f} ms)")
        return True

    # ---- customers and subscribers, through the REST session ------------------------------

    def customers(self):
        url = self.rest.ep("wholesale/customers")
        found = self.rest.rest_get(url, params={"externalId": ACME})["items"]
        check(len(found) == 1, f"one customer {ACME}, got {len(found)}")
        customer = found[0]
        check(customer["status"] == "provisioned", customer["status"])
        self.state["customer"] = customer["id"]
        self.state["org"] = customer["orgId"]
        one = self.rest.rest_get(f"{url}/{customer['id']}", params={"includePackageLicenseInfo": "true"})
        licenses = {p["name"]: p.get("licenseIds", []) for p in one["resourceDetails"]["packages"]}
        check(licenses.get("webex_calling"), f"a webex_calling licence: {licenses}")
        self.state["license"] = licenses["webex_calling"][0]
        # The precheck of a new meetings customer (the provisioning id is optional there: no
        # API lists a partner's onboarding templates).
        precheck = self.rest.rest_post(
            f"{url}/validate",
            json={
                "packages": ["webex_meetings"],
                "externalId": "WXC-SDK-0001",
                "address": customer["address"],
                "customerInfo": {"name": "Suite SA", "primaryEmail": "admin@suite.example"},
            },
        )
        check(precheck["message"] == "success", precheck)

    def subscribers(self):
        url = self.rest.ep("wholesale/subscribers")
        listed = self.rest.rest_get(url, params={"customerId": self.state["customer"]})["items"]
        check(any(s["email"] == CAMILLE for s in listed), "Camille is a subscriber")
        body = {
            "customerId": self.state["customer"],
            "email": "sdk.user@acme.example",
            "packages": ["webex_calling"],
            "provisioningParameters": {"firstName": "Sdk", "lastName": "User", "extension": "1450"},
        }
        check(self.rest.rest_post(f"{url}/validate", json=body)["message"] == "success", "precheck")
        created = self.rest.rest_post(url, json=body)
        self.state["subscriber"] = created["id"]
        self.state["person"] = created["personId"]
        got = self.rest.rest_get(f"{url}/{created['id']}")
        check(got["email"] == "sdk.user@acme.example", got)
        changed = self.rest.rest_put(
            f"{url}/{created['id']}",
            json={"packages": ["webex_calling"], "provisioningParameters": {"extension": "1451"}},
        )
        check(changed["id"] == created["id"], changed)

    # ---- locations and numbers -----------------------------------------------------------

    def locations(self):
        org = self.state["org"]
        names = [loc.name for loc in self.api.locations.list(org_id=org)]
        check("Paris HQ" in names and "Lyon" in names, names)
        new = self.api.locations.create(
            name="Marseille",
            time_zone="Europe/Paris",
            preferred_language="fr_fr",
            announcement_language="fr_fr",
            address1="1 quai du Port",
            city="Marseille",
            state="",
            postal_code="13002",
            country="FR",
            org_id=org,
        )
        self.state["location"] = new
        details = self.api.locations.details(new, org_id=org)
        check(details.name == "Marseille", details)
        details.name = "Marseille Vieux-Port"
        self.api.locations.update(new, details, org_id=org)
        check(self.api.locations.details(new, org_id=org).name == "Marseille Vieux-Port", "renamed")
        by_name = list(self.api.locations.list(name="Vieux", org_id=org))
        check([loc.location_id for loc in by_name] == [new], by_name)

    def numbers(self):
        org, location = self.state["org"], self.state["location"]
        self.api.telephony.location.number.add(location, NEW_NUMBERS, org_id=org)
        listed = [n.phone_number for n in self.api.telephony.phone_numbers(location_id=location, org_id=org)]
        check(sorted(listed) == NEW_NUMBERS, listed)
        self.api.telephony.location.number.remove(location, NEW_NUMBERS[1:], org_id=org)
        listed = [n.phone_number for n in self.api.telephony.phone_numbers(location_id=location, org_id=org)]
        check(listed == NEW_NUMBERS[:1], listed)

    # ---- devices catalogue -----------------------------------------------------------------

    def supported_devices(self):
        supported = self.api.telephony.supported_devices(org_id=self.state["org"])
        models = [d.model for d in supported.devices]
        check("Yealink T54W" in models, models)

    def validate_macs(self):
        result = self.api.telephony.devices.validate_macs([MAC, "not-a-mac"], org_id=self.state["org"])
        statuses = {m.mac: m.state for m in result.mac_status} if result.mac_status else {}
        check(result.status != "OK" and len(statuses) >= 1, result)

    # ---- workspaces ----------------------------------------------------------------------

    def workspace_create(self):
        org, location = self.state["org"], self.state["location"]
        settings = Workspace.create(display_name="Salle Calanques")
        settings.supported_devices = WorkspaceSupportedDevices.phones
        settings.calling = WorkspaceCalling(
            type=CallingType.webex,
            webex_calling=WorkspaceWebexCalling(
                phone_number=NEW_NUMBERS[0], location_id=location, licenses=[self.state["license"]]
            ),
        )
        # wxc_sdk leaves orgId out of the body: the calling location names the organisation.
        created = self.api.workspaces.create(settings, org_id=org)
        check(created.org_id == org, created)
        self.state["workspace"] = created.workspace_id
        listed = [w.display_name for w in self.api.workspaces.list(org_id=org, display_name="Calanques")]
        check(listed == ["Salle Calanques"], listed)

    def workspace_update(self):
        ws = self.state["workspace"]
        current = self.api.workspaces.details(ws)
        current.capacity = 6
        updated = self.api.workspaces.update(ws, current)
        check(updated.capacity == 6, updated)
        check(updated.calling and updated.calling.type == CallingType.webex, updated.calling)

    # ---- devices -------------------------------------------------------------------------

    def device_create(self):
        org = self.state["org"]
        device = self.api.devices.create_by_mac_address(
            MAC, workspace_id=self.state["workspace"], model="Yealink T54W", password="Sdk-Suite-Pass-9", org_id=org
        )
        check(device.mac == MAC and device.workspace_id == self.state["workspace"], device)
        self.state["device"] = device.device_id
        by_mac = list(self.api.devices.list(mac="00:04:f2:aa:bb:01", org_id=org))
        check([d.device_id for d in by_mac] == [device.device_id], by_mac)
        details = self.api.devices.details(device.device_id, org_id=org)
        check(details.product == "Yealink T54W", details)

    def device_tags(self):
        tagged = self.api.devices.modify_device_tags(
            self.state["device"], TagOp.replace, ["wxc-sdk"], org_id=self.state["org"]
        )
        check(tagged.tags == ["wxc-sdk"], tagged.tags)

    def workspace_devices(self):
        devices = list(self.api.workspace_settings.devices.list(self.state["workspace"], org_id=self.state["org"]))
        check([d.device_id for d in devices] == [self.state["device"]], devices)
        check(devices[0].description == ["wxc-sdk"], devices[0].description)

    def workspace_update_with_a_device(self):
        # The same read-modify-write, now that the workspace holds a device.
        ws = self.state["workspace"]
        current = self.api.workspaces.details(ws)
        current.notes = "updated by wxc_sdk"
        updated = self.api.workspaces.update(ws, current)
        check(updated.notes == "updated by wxc_sdk", updated)

    def telephony_details(self):
        details = self.api.telephony.devices.details(self.state["device"], org_id=self.state["org"])
        check(details.mac == MAC, details)
        check(details.owner and details.owner.sip_user_name, details.owner)

    def members(self):
        org, device = self.state["org"], self.state["device"]
        current = self.api.telephony.devices.members(device, org_id=org)
        check(len(current.members) == 1 and current.members[0].primary_owner, current.members)
        person = next(
            p for p in self.api.people.list(email="sdk.user@acme.example", org_id=org, calling_data=True)
        )
        members = list(current.members) + [DeviceMember(member_id=person.person_id, port=2, line_type="SHARED_CALL_APPEARANCE")]
        self.api.telephony.devices.update_members(device, members, org_id=org)
        after = self.api.telephony.devices.members(device, org_id=org)
        check(sorted(m.port for m in after.members) == [1, 2], after.members)

    def sip_password(self):
        self.api.telephony.devices.update_third_party_device(
            self.state["device"], sip_password="Rotated-Sdk-Pass-7", org_id=self.state["org"]
        )

    # ---- people --------------------------------------------------------------------------

    def people(self):
        org = self.state["org"]
        found = list(self.api.people.list(email=CAMILLE, org_id=org, calling_data=True))
        check(len(found) == 1 and found[0].emails == [CAMILLE], found)
        person = self.api.people.details(found[0].person_id, calling_data=True)
        check(person.display_name and person.location_id, person)
        everyone = [p.emails[0] for p in self.api.people.list(org_id=org)]
        check(CAMILLE in everyone and "sdk.user@acme.example" in everyone, everyone)

    def roles(self):
        org = self.state["org"]
        full = [r for r in self.api.roles.list() if r.name == "Full Administrator"]
        check(len(full) == 1, full)
        role = full[0].id
        found = list(self.api.people.list(email=CAMILLE, org_id=org))
        person = self.api.people.details(found[0].person_id, calling_data=True)
        # GET, change, PUT: wxc_sdk sends the person back as read, with the role added.
        person.roles = (person.roles or []) + [role]
        self.api.people.update(person, calling_data=True)
        admins = [p.emails[0] for p in self.api.people.list(org_id=org, roles=role)]
        check(CAMILLE in admins, admins)

    # ---- teardown, as a client would do it -----------------------------------------------

    def teardown(self):
        org = self.state["org"]
        self.api.devices.delete(self.state["device"], org_id=org)
        check(not list(self.api.devices.list(mac=MAC, org_id=org)), "the device is gone")
        self.api.workspaces.delete_workspace(self.state["workspace"])
        check(not list(self.api.workspaces.list(org_id=org, display_name="Calanques")), "the workspace is gone")
        self.rest.rest_delete(self.rest.ep(f"wholesale/subscribers/{self.state['subscriber']}"))
        self.api.telephony.location.number.remove(self.state["location"], NEW_NUMBERS[:1], org_id=org)
        self.rest.rest_delete(self.rest.ep(f"locations/{self.state['location']}"), params={"orgId": org})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--telform", default=os.path.join(ROOT, "target/debug/telform"))
    args = parser.parse_args()
    with Emulator(args.telform) as emu:
        # wxc_sdk talks to Webex's base URL, a class attribute: point it at the emulator.
        RestSession.BASE = emu.env["TELFORM_WEBEX_URL"]
        api = WebexSimpleApi(tokens=emu.env["TELFORM_WEBEX_TOKEN"], retry_429=False)
        suite = Suite(api)
        steps = [
            ("customers (REST session)", suite.customers),
            ("subscribers (REST session)", suite.subscribers),
            ("locations: list, create, details, update", suite.locations),
            ("location numbers: add, list, remove", suite.numbers),
            ("supported devices", suite.supported_devices),
            ("validateMacs", suite.validate_macs),
            ("workspaces: create without orgId in the body, list", suite.workspace_create),
            ("workspaces: update (GET, change, PUT)", suite.workspace_update),
            ("devices: create by MAC, list by MAC, details", suite.device_create),
            ("devices: tags", suite.device_tags),
            ("workspace devices", suite.workspace_devices),
            ("workspaces: update with a device", suite.workspace_update_with_a_device),
            ("telephony device details", suite.telephony_details),
            ("device members: read, update", suite.members),
            ("SIP password", suite.sip_password),
            ("people: list, details", suite.people),
            ("roles: list; people: update a person's roles, list by role", suite.roles),
            ("teardown: delete device, workspace, subscriber, numbers, location", suite.teardown),
        ]
        for name, fn in steps:
            suite.step(name, fn)
        api.close()
    print(f"wxc_sdk: {suite.passed} passed, {suite.failed} failed")
    return 0 if suite.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
