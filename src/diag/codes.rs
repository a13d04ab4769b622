//! Every diagnostic telform can report, with a stable code. Codes are never reused or
//! renumbered: scripts and CI annotations key on them.

/// A diagnostic code and what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Code {
    pub id: &'static str,
    pub title: &'static str,
}

macro_rules! codes {
    ($($name:ident = $id:literal, $title:literal;)*) => {
        $(pub const $name: Code = Code { id: $id, title: $title };)*
        /// All codes, in order, for the reference documentation.
        pub const ALL: &[Code] = &[$($name),*];
    };
}

codes! {
    // Files and YAML.
    IO = "TF001", "the file cannot be read";
    NOT_UTF8 = "TF002", "the file is not UTF-8";
    TOO_LARGE = "TF003", "the file is larger than the limit";
    YAML_SYNTAX = "TF004", "YAML syntax error";
    YAML_TAB = "TF005", "tab used for indentation";
    DUPLICATE_KEY = "TF006", "duplicate key in a mapping";
    YAML_LIMIT = "TF007", "nesting or alias expansion beyond the limit";
    YAML_UNSUPPORTED = "TF008", "unsupported YAML feature (tags, complex keys)";
    EMPTY_FILE = "TF009", "the file holds no document";
    NO_MANIFESTS = "TF010", "no manifest file found";
    UNSAFE_ENTRY = "TF011", "not a regular file inside the manifest folder (a link out of it, a FIFO, a device)";

    // Documents and schema.
    NOT_A_MAPPING = "TF020", "a document is not a mapping";
    API_VERSION = "TF021", "missing or unknown apiVersion";
    UNKNOWN_KIND = "TF022", "missing or unknown kind";
    UNKNOWN_FIELD = "TF023", "unknown field";
    MISSING_FIELD = "TF024", "required field missing";
    WRONG_TYPE = "TF025", "value of the wrong type";
    INVALID_VALUE = "TF026", "value not allowed by the schema";
    UNTRUSTED_SETTING = "TF027", "a setting the manifest folder may not decide (endpoints, tenants, credentials)";

    // Numbers.
    E164_FORMAT = "TF101", "number is not E.164 (`+` then digits)";
    E164_COUNTRY = "TF102", "number has no valid country calling code";
    E164_LENGTH = "TF103", "number longer than 16 characters";
    RANGE_LENGTH = "TF104", "range ends of different lengths";
    RANGE_ORDER = "TF105", "range `from` is after `to`";
    RANGE_SIZE = "TF106", "range holds more than 100,000 numbers";
    NUMBER_TWICE = "TF107", "number declared in more than one place";
    NUMBER_ASSIGNED_TWICE = "TF108", "number assigned to more than one user or workspace";

    // Identities and references.
    DUPLICATE_IDENTITY = "TF110", "two manifests declare the same object";
    DUPLICATE_MAC = "TF111", "two devices have the same MAC address";
    DUPLICATE_EXTENSION = "TF112", "extension used twice in a location";
    DANGLING_REFERENCE = "TF120", "reference to an object that no manifest declares";
    TENANT_MISMATCH = "TF121", "consent tenant differs from its account's tenant";
    REFERENCE_TO_ABSENT = "TF122", "reference to an object marked `ensure: absent`";

    // ACG.
    CUSTOM_SIP_HEADER = "TF130", "custom SIP header not allowed for this service";
    USER_NUMBER_ADDRESS = "TF131", "user number without civic address and location";
    TEAMS_TENANT_REQUIRED = "TF132", "teamsTenantId required for Operator Connect or Teams Phone Mobile";
    TEAMS_ATTRIBUTES_REQUIRED = "TF133", "Teams number without usage or capabilities";
    TEAMS_ONLY_ATTRIBUTE = "TF134", "Teams attribute on a number of another service";
    SERVICE_NOT_ENABLED = "TF135", "numbers for a service the account does not enable";
    DIRECT_ROUTING_CONFIG = "TF136", "Direct Routing subdomain settings incomplete";
    CONSENT_REASON = "TF140", "reason required for this relationship";
    TICKET_ID_LENGTH = "TF141", "ticketId longer than 64 characters";
    CONSENT_ACCOUNT = "TF142", "signed agreement without an account";

    // Webex customers and locations.
    COMPANY_NAME = "TF150", "company name contains `%`";
    LOCATION_NOT_VERIFIED = "TF151", "supportedLocationVerified must be true";
    PACKAGE_DEPENDENCY = "TF152", "package needs another package";
    ADDRESS_LINE_LENGTH = "TF153", "address line longer than 50 characters";
    HEADQUARTERS_REQUIRED = "TF154", "customer without headquarters";
    LOCATION_NAME_LENGTH = "TF155", "location name longer than 80 characters";
    CUSTOMER_COUNTRY = "TF156", "customer country differs from its headquarters' country";

    // Webex users and workspaces.
    SUBSCRIBER_PACKAGE = "TF160", "package is not a subscriber package";
    CALLING_NEEDS_NUMBER = "TF161", "calling needs a phone number or an extension";
    PERSON_NAME = "TF162", "first or last name too long or with a forbidden character";
    PACKAGE_NOT_ORDERED = "TF163", "package not ordered by the customer";
    ADMIN_PACKAGE_LEVEL = "TF164", "administrator below the customer's package level";
    NUMBER_NOT_FROM_LOCATION = "TF165", "phone number not from the user's or workspace's location";
    WORKSPACE_NAME = "TF170", "workspace name too long or with a forbidden character";
    WORKSPACE_DEVICE_LIMIT = "TF171", "too many devices in a workspace";
    COMMON_AREA_PACKAGE = "TF172", "common-area workspace without common_area_calling";

    // Devices and secrets.
    MAC_FORMAT = "TF180", "MAC address not recognised";
    LITERAL_SECRET = "TF181", "literal secret in a manifest";
    SIP_PASSWORD_SOURCE = "TF182", "sipPassword needs exactly one source";
    DEVICE_OWNER = "TF183", "device owner needs exactly one of user or workspace";
    SHARED_WITH = "TF184", "device shared with its owner or twice with the same user";
    SECRET_FILE_OUTSIDE = "TF185", "sipPassword.fromFile leads outside the manifest folder";
    SECRET_ENV_NOT_ALLOWED = "TF186", "sipPassword.fromEnv names a variable that is not allowed";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut ids: Vec<_> = ALL.iter().map(|c| c.id).collect();
        ids.sort();
        let len = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), len, "a code is used twice");
        for id in ids {
            assert!(
                id.len() == 5 && id.starts_with("TF") && id[2..].bytes().all(|b| b.is_ascii_digit()),
                "{id}"
            );
        }
    }
}
