//! The JSON Schemas, generated from the kinds, and the schema layer of validation.
//!
//! Each kind's schema is compiled once. A document is checked against the schema of its kind
//! (picked from `kind`, so that errors speak of that kind instead of a `oneOf` over all of them),
//! and every error is mapped back to the YAML node it concerns.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{JsonType, Validator};
use schemars::SchemaGenerator;
use schemars::generate::SchemaSettings;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::diag::codes;
use crate::diag::diagnostic::{At, Diagnostic};
use crate::manifest::acg::{AccountSpec, ConsentSpec, NumberSetSpec};
use crate::manifest::common::{API_VERSION, AccountMetadata, Metadata};
use crate::manifest::load::RawDoc;
use crate::manifest::settings::{FOLDER_MAY_SET, Settings, trusted_home};
use crate::manifest::webex::{CustomerSpec, DeviceSpec, LocationSpec, TemplateSpec, UserSpec, WorkspaceSpec};
use crate::manifest::yaml::{escape_segment, pointer_segments};
use crate::manifest::{AnyManifest, Kind, Manifest, Origin};

const SCHEMA_BASE: &str = "https://telform.dev/schemas/v1/";

/// File name of the schema that accepts a document of any kind.
pub const DOCUMENT_SCHEMA: &str = "document.json";
/// File name of the settings schema.
pub const SETTINGS_SCHEMA: &str = "settings.json";

/// Every schema file, by file name, as committed under `schemas/`.
pub fn all_schemas() -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for kind in Kind::ALL {
        out.insert(kind.schema_file(), kind_schema(kind).clone());
    }
    out.insert(DOCUMENT_SCHEMA.to_string(), document_schema());
    out.insert(SETTINGS_SCHEMA.to_string(), settings_schema().clone());
    out
}

fn generator() -> SchemaGenerator {
    SchemaSettings::draft2020_12().into_generator()
}

/// The `$defs` name of a kind's document.
fn document_def(kind: Kind) -> String {
    format!("{}Document", kind.as_str())
}

/// Builds the envelope of one kind's document (`apiVersion`, `kind`, `metadata`, `spec`) into
/// `generator`'s definitions and returns it.
fn envelope(generator: &mut SchemaGenerator, kind: Kind) -> Value {
    let metadata = if kind == Kind::Account {
        generator.subschema_for::<AccountMetadata>()
    } else {
        generator.subschema_for::<Metadata>()
    };
    let spec = match kind {
        Kind::Account => generator.subschema_for::<AccountSpec>(),
        Kind::NumberSet => generator.subschema_for::<NumberSetSpec>(),
        Kind::Consent => generator.subschema_for::<ConsentSpec>(),
        Kind::Template => generator.subschema_for::<TemplateSpec>(),
        Kind::Customer => generator.subschema_for::<CustomerSpec>(),
        Kind::Location => generator.subschema_for::<LocationSpec>(),
        Kind::User => generator.subschema_for::<UserSpec>(),
        Kind::Workspace => generator.subschema_for::<WorkspaceSpec>(),
        Kind::Device => generator.subschema_for::<DeviceSpec>(),
    };
    json!({
        "type": "object",
        "description": format!("A telform `{}` manifest.", kind.as_str()),
        "properties": {
            "apiVersion": {"const": API_VERSION, "description": "Always `telform/v1`."},
            "kind": {"const": kind.as_str()},
            "metadata": metadata.to_value(),
            "spec": spec.to_value(),
        },
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": false,
    })
}

/// The schema of one kind's document, self-contained.
pub fn kind_schema(kind: Kind) -> &'static Value {
    static SCHEMAS: OnceLock<BTreeMap<Kind, Value>> = OnceLock::new();
    let all = SCHEMAS.get_or_init(|| {
        Kind::ALL
            .into_iter()
            .map(|kind| {
                let mut generator = generator();
                let mut root = envelope(&mut generator, kind);
                let defs = generator.take_definitions(true);
                let object = root.as_object_mut().expect("envelope is an object");
                let mut head = Map::new();
                head.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
                head.insert("$id".into(), json!(format!("{SCHEMA_BASE}{}", kind.schema_file())));
                head.insert("title".into(), json!(kind.as_str()));
                head.append(object);
                head.insert("$defs".into(), Value::Object(defs));
                let mut schema = Value::Object(head);
                tidy(&mut schema);
                (kind, schema)
            })
            .collect()
    });
    &all[&kind]
}

/// A schema for any telform document, for editors: `kind` selects the kind's schema.
pub fn document_schema() -> Value {
    let mut generator = generator();
    let mut defs = Map::new();
    let mut branches = Vec::new();
    for kind in Kind::ALL {
        defs.insert(document_def(kind), envelope(&mut generator, kind));
        branches.push(json!({
            "if": {"properties": {"kind": {"const": kind.as_str()}}, "required": ["kind"]},
            "then": {"$ref": format!("#/$defs/{}", document_def(kind))},
        }));
    }
    defs.append(&mut generator.take_definitions(true));
    let kinds: Vec<_> = Kind::ALL.iter().map(|k| k.as_str()).collect();
    let mut schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("{SCHEMA_BASE}{DOCUMENT_SCHEMA}"),
        "title": "telform manifest",
        "description": "Any telform manifest; `kind` selects its schema.",
        "type": "object",
        "properties": {
            "apiVersion": {"const": API_VERSION},
            "kind": {"enum": kinds},
        },
        "required": ["apiVersion", "kind"],
        "allOf": branches,
        "$defs": defs,
    });
    tidy(&mut schema);
    schema
}

pub fn settings_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let mut schema = generator().into_root_schema_for::<Settings>().to_value();
        let object = schema.as_object_mut().expect("root schema is an object");
        object.insert("$id".into(), json!(format!("{SCHEMA_BASE}{SETTINGS_SCHEMA}")));
        object.insert("title".into(), json!("telform.yaml"));
        tidy(&mut schema);
        schema
    })
}

/// Post-processing of generated schemas:
/// - `Option<T>` fields are optional, not nullable: `field:` with no value is more likely a
///   mistake than a wish, and a `null` branch turns every nested error into an opaque `anyOf`.
/// - keys are sorted so that the committed files do not churn.
fn tidy(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".into(), only);
                }
            }
            if let Some(Value::Array(options)) = map.get_mut("enum") {
                options.retain(|o| !o.is_null());
            }
            if let Some(Value::Array(branches)) = map.get_mut("anyOf") {
                branches.retain(|b| b != &json!({"type": "null"}));
                if branches.len() == 1 {
                    let Some(Value::Object(only)) = branches.pop() else {
                        unreachable!()
                    };
                    map.remove("anyOf");
                    for (k, v) in only {
                        map.entry(k).or_insert(v);
                    }
                }
            }
            // Defaults of `Option` fields are `null`, which the schema no longer allows.
            if map.get("default") == Some(&Value::Null) {
                map.remove("default");
            }
            for value in map.values_mut() {
                tidy(value);
            }
            map.sort_keys();
        }
        Value::Array(items) => items.iter_mut().for_each(tidy),
        _ => {}
    }
}

fn validators() -> &'static BTreeMap<Kind, Validator> {
    static VALIDATORS: OnceLock<BTreeMap<Kind, Validator>> = OnceLock::new();
    VALIDATORS.get_or_init(|| {
        Kind::ALL
            .into_iter()
            .map(|kind| {
                let validator = jsonschema::draft202012::new(kind_schema(kind)).expect("generated schemas compile");
                (kind, validator)
            })
            .collect()
    })
}

fn settings_validator() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| jsonschema::draft202012::new(settings_schema()).expect("generated schemas compile"))
}

/// Checks one document against its kind's schema and turns it into a typed manifest.
pub fn check_document(doc: RawDoc) -> Result<AnyManifest, Vec<Diagnostic>> {
    let RawDoc { origin, mut value } = doc;
    let Value::Object(object) = &value else {
        return Err(vec![
            Diagnostic::error(
                codes::NOT_A_MAPPING,
                At::value(origin, ""),
                format!("a manifest must be a mapping, found {}", describe(&value)),
            )
            .hint("start the document with `apiVersion: telform/v1` and `kind: ...`"),
        ]);
    };
    let mut diagnostics = Vec::new();
    match object.get("apiVersion") {
        Some(Value::String(v)) if v == API_VERSION => {}
        Some(other) => diagnostics.push(
            Diagnostic::error(
                codes::API_VERSION,
                At::value(origin, "/apiVersion"),
                format!("unknown apiVersion {}", short(other)),
            )
            .hint(format!("telform reads `apiVersion: {API_VERSION}`")),
        ),
        None => diagnostics.push(
            Diagnostic::error(
                codes::API_VERSION,
                At::value(origin, ""),
                "the document has no `apiVersion`",
            )
            .hint(format!("add `apiVersion: {API_VERSION}`")),
        ),
    }
    let kind = match object.get("kind") {
        Some(Value::String(name)) => match name.parse::<Kind>() {
            Ok(kind) => Some(kind),
            Err(()) => {
                let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                let hint = match did_you_mean(name, &names) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!("the kinds are {}", names.join(", ")),
                };
                diagnostics.push(
                    Diagnostic::error(
                        codes::UNKNOWN_KIND,
                        At::value(origin, "/kind"),
                        format!("unknown kind `{name}`"),
                    )
                    .hint(hint),
                );
                None
            }
        },
        Some(other) => {
            diagnostics.push(
                Diagnostic::error(
                    codes::UNKNOWN_KIND,
                    At::value(origin, "/kind"),
                    format!("`kind` must be a string, found {}", describe(other)),
                )
                .hint("write the kind's name, e.g. `kind: Account`"),
            );
            None
        }
        None => {
            diagnostics.push(
                Diagnostic::error(codes::UNKNOWN_KIND, At::value(origin, ""), "the document has no `kind`")
                    .hint("add `kind:` with one of Account, NumberSet, Consent, Template, Customer, Location, User, Workspace, Device"),
            );
            None
        }
    };
    let Some(kind) = kind else {
        return Err(diagnostics);
    };
    let name = object
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("?");
    let object_id = format!("{kind}/{name}");

    let mut reported_secrets = Vec::new();
    if kind == Kind::Device {
        let found = take_literal_secret(origin, &mut value, &SIP_PASSWORD);
        if !found.is_empty() {
            reported_secrets.push(SIP_PASSWORD.pointer);
        }
        diagnostics.extend(found.into_iter().map(|d| d.object(object_id.clone())));
    }
    let validator = &validators()[&kind];
    if !validator.is_valid(&value) {
        let schema = kind_schema(kind);
        for error in validator.iter_errors(&value) {
            // The apiVersion has been reported above with a better message.
            let about_api_version = error.instance_path().as_str() == "/apiVersion"
                || matches!(error.kind(), ValidationErrorKind::Required { property } if property == "apiVersion");
            if about_api_version || is_under(error.instance_path().as_str(), &reported_secrets) {
                continue;
            }
            diagnostics.extend(
                map_error(schema, origin, &error)
                    .into_iter()
                    .map(|d| d.object(object_id.clone())),
            );
        }
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    let Value::Object(mut object) = value else {
        unreachable!("checked above")
    };
    let metadata = object.remove("metadata").unwrap_or_default();
    let spec = object.remove("spec").unwrap_or_default();
    let typed = || -> Result<AnyManifest, serde_json::Error> {
        let metadata: Metadata = serde_json::from_value(metadata)?;
        Ok(match kind {
            Kind::Account => AnyManifest::Account(typed(origin, metadata, spec)?),
            Kind::NumberSet => AnyManifest::NumberSet(typed(origin, metadata, spec)?),
            Kind::Consent => AnyManifest::Consent(typed(origin, metadata, spec)?),
            Kind::Template => AnyManifest::Template(typed(origin, metadata, spec)?),
            Kind::Customer => AnyManifest::Customer(typed(origin, metadata, spec)?),
            Kind::Location => AnyManifest::Location(typed(origin, metadata, spec)?),
            Kind::User => AnyManifest::User(typed(origin, metadata, spec)?),
            Kind::Workspace => AnyManifest::Workspace(typed(origin, metadata, spec)?),
            Kind::Device => AnyManifest::Device(typed(origin, metadata, spec)?),
        })
    };
    // The schema is generated from these types, so a document that passed it deserializes; an
    // error here is a bug in telform, reported rather than panicking.
    typed().map_err(|error| {
        vec![
            Diagnostic::error(
                codes::WRONG_TYPE,
                At::value(origin, ""),
                format!("cannot read the document: {error}"),
            )
            .object(object_id)
            .hint("this is a telform bug: please report it with this file"),
        ]
    })
}

fn typed<S: DeserializeOwned>(
    origin: Origin,
    metadata: Metadata,
    spec: Value,
) -> Result<Manifest<S>, serde_json::Error> {
    Ok(Manifest {
        origin,
        metadata,
        spec: serde_json::from_value(spec)?,
    })
}

/// Whose settings file it is (docs/security.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingsFile {
    /// The operator's, named by `--settings` / `TELFORM_SETTINGS`: every setting.
    Operator,
    /// `telform.yaml` in the manifest folder: the harmless options only.
    Folder,
}

/// Checks a settings file.
pub fn check_settings(doc: RawDoc, file: SettingsFile) -> Result<Settings, Vec<Diagnostic>> {
    let RawDoc { origin, mut value } = doc;
    let mut diagnostics = Vec::new();
    // A secret written out in the settings file is refused, and never echoed.
    let mut reported_secrets = Vec::new();
    for field in &SETTINGS_SECRETS {
        let found = take_literal_secret(origin, &mut value, field);
        if !found.is_empty() {
            reported_secrets.push(field.pointer);
        }
        diagnostics.extend(found);
    }
    let validator = settings_validator();
    for error in validator.iter_errors(&value) {
        if is_under(error.instance_path().as_str(), &reported_secrets) {
            continue;
        }
        diagnostics.extend(map_error(settings_schema(), origin, &error));
    }
    // The folder's file is checked as a whole first, so that a secret committed there is
    // reported as such (it must be rotated) besides being a setting the folder may not decide.
    if file == SettingsFile::Folder {
        diagnostics.extend(take_untrusted_settings(origin, &mut value));
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    // The schema is generated from `Settings`, so a file that passed it deserializes. The error
    // is not quoted: serde's messages may quote a value, and this file names secrets.
    serde_json::from_value(value).map_err(|_| {
        vec![
            Diagnostic::error(
                codes::WRONG_TYPE,
                At::value(origin, ""),
                "cannot read the settings, although they match their schema",
            )
            .hint("this is a telform bug: please report it with this file (remove the values you cannot share)"),
        ]
    })
}

/// Settings of the manifest folder's `telform.yaml` that only the operator may give: each is
/// refused where it is written (the message never quotes its value; the source line is shown
/// redacted, like any other) and removed before the schema layer. Keys the settings do not know are left to the schema layer.
fn take_untrusted_settings(origin: Origin, value: &mut Value) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let Value::Object(top) = value else {
        return out;
    };
    let known = settings_schema().get("properties").and_then(Value::as_object);
    for (section, inner) in top.iter_mut() {
        let Value::Object(fields) = inner else { continue };
        let section_schema = known
            .and_then(|k| k.get(section))
            .and_then(|s| schema_properties(settings_schema(), s));
        let refused: Vec<String> = fields
            .keys()
            .filter(|key| {
                let pointer = format!("/{section}/{key}");
                !FOLDER_MAY_SET.contains(&pointer.as_str())
                    && section_schema.is_some_and(|p| p.contains_key(key.as_str()))
            })
            .cloned()
            .collect();
        for key in refused {
            fields.remove(&key);
            let pointer = format!("/{section}/{}", escape_segment(&key));
            let instead = match trusted_home(&pointer) {
                Some(var) => format!("set {var} in the environment where telform runs (a CI secret or variable), or "),
                None => String::new(),
            };
            out.push(
                Diagnostic::error(
                    codes::UNTRUSTED_SETTING,
                    At::key(origin, pointer),
                    format!(
                        "`{section}.{key}` may not be set in the manifest folder: a pull request could change it to send a credential elsewhere or read another variable"
                    ),
                )
                .hint(format!(
                    "{instead}write it in the operator's settings file, outside the checkout, named by --settings or TELFORM_SETTINGS (see docs/security.md)"
                )),
            );
        }
    }
    out
}

/// The `properties` of a settings section, following a `$ref` into `$defs`.
fn schema_properties<'a>(root: &'a Value, section: &'a Value) -> Option<&'a Map<String, Value>> {
    let target = match section.get("$ref").and_then(Value::as_str) {
        Some(reference) => root.pointer(reference.strip_prefix('#')?)?,
        None => section,
    };
    let target = match target.get("anyOf").and_then(Value::as_array) {
        // `Option<T>` may be written as `anyOf: [{$ref}, {type: null}]`.
        Some(branches) => branches
            .iter()
            .find_map(|b| b.get("$ref").and_then(Value::as_str))
            .and_then(|r| root.pointer(r.strip_prefix('#')?))
            .unwrap_or(target),
        None => target,
    };
    target.get("properties").and_then(Value::as_object)
}

/// A field that holds a secret by reference only.
struct SecretField {
    /// Where it is, as a JSON pointer.
    pointer: &'static str,
    /// The keys of a reference: any other key may hold the secret itself.
    keys: &'static [&'static str],
    /// The message when the secret is written out.
    message: &'static str,
    hint: &'static str,
}

const SIP_PASSWORD: SecretField = SecretField {
    pointer: "/spec/sipPassword",
    keys: &["fromEnv", "fromFile", "generate", "rotation"],
    message: "a SIP password is written in the manifest",
    hint: "never commit a password: use `sipPassword: {fromEnv: VARIABLE}`, `{fromFile: PATH}` or `{generate: true}`, and change this password now: it is in your Git history",
};

const SETTINGS_SECRETS: [SecretField; 2] = [
    SecretField {
        pointer: "/acg/clientSecret",
        keys: &["fromEnv"],
        message: "`acg.clientSecret` is written out in the settings file",
        hint: "never commit a secret: write `clientSecret: {fromEnv: VARIABLE}`, set the variable where telform runs, and rotate this secret now: it is in your Git history",
    },
    SecretField {
        pointer: "/webex/token",
        keys: &["fromEnv"],
        message: "`webex.token` is written out in the settings file",
        hint: "never commit a secret: write `token: {fromEnv: VARIABLE}`, set the variable where telform runs, and revoke this token now: it is in your Git history",
    },
];

/// Paths under which the schema layer never quotes the value it finds, and shows no source
/// line: the value is, or may be, a secret (a password typed where its reference belongs).
const SECRET_POINTERS: [&str; 3] = [
    SIP_PASSWORD.pointer,
    SETTINGS_SECRETS[0].pointer,
    SETTINGS_SECRETS[1].pointer,
];

/// True when `pointer` is a secret field or lies under one.
pub fn is_secret_pointer(pointer: &str) -> bool {
    is_under(pointer, &SECRET_POINTERS)
}

/// True when `pointer` is one of `parents` or lies under one.
fn is_under(pointer: &str, parents: &[&str]) -> bool {
    parents.iter().any(|parent| {
        pointer
            .strip_prefix(parent)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// A secret field that holds anything but a reference (a string, a number, a mapping with a key
/// other than the reference's) is reported without its value, and the value is removed before
/// the schema layer, whose messages would quote it. An unknown key that is a typo of a
/// reference key (`fromENV`) is reported as such, not as a leaked secret; its value is not
/// shown either.
fn take_literal_secret(origin: Origin, value: &mut Value, field: &SecretField) -> Vec<Diagnostic> {
    let Some(secret) = value.pointer_mut(field.pointer) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let literal = match secret {
        // Nothing written: the schema layer says what is expected.
        Value::Null => false,
        Value::Object(map) => {
            let extra: Vec<String> = map
                .keys()
                .filter(|k| !field.keys.contains(&k.as_str()))
                .cloned()
                .collect();
            let mut literal = false;
            for key in extra {
                map.remove(&key);
                match did_you_mean(&key, field.keys) {
                    Some(best) => out.push(
                        Diagnostic::error(
                            codes::UNKNOWN_FIELD,
                            At::key(origin, format!("{}/{}", field.pointer, escape_segment(&key))),
                            format!("unknown field `{key}` in {}", field_name(field.pointer)),
                        )
                        .hint(format!("did you mean `{best}`?"))
                        .sensitive(),
                    ),
                    None => literal = true,
                }
            }
            literal
        }
        _ => {
            *secret = Value::Object(Map::new());
            true
        }
    };
    if literal {
        out.push(
            Diagnostic::error(codes::LITERAL_SECRET, At::value(origin, field.pointer), field.message)
                .hint(field.hint)
                .sensitive(),
        );
    }
    out
}

/// What to do instead of a data residency field in a customer's spec: the seed procedure
/// lets Partner Hub place a new organisation in another region, and no API telform uses can
/// (issue #13). Refused by name rather than as an unknown field.
fn data_residency(schema: &Value, pointer: &str, name: &str) -> Option<&'static str> {
    let customer = schema.pointer("/properties/kind/const").and_then(Value::as_str) == Some("Customer");
    let residency = ["dataresidency", "residency", "region", "datacenter", "datalocation"]
        .contains(&name.to_ascii_lowercase().as_str());
    (customer && pointer == "/spec" && residency).then_some(
        "the wholesale provisioning API has no region: Webex makes the organisation in the partner's own region. To place it elsewhere, create the customer in Partner Hub (which asks for its data residency), then attach this manifest to it with `orgId:`, and remove this field",
    )
}

/// Turns one schema error into diagnostics at the right YAML node.
fn map_error(schema: &Value, origin: Origin, error: &jsonschema::ValidationError<'_>) -> Vec<Diagnostic> {
    let pointer = error.instance_path().as_str();
    if is_secret_pointer(pointer) {
        // The value may be a password typed where its reference belongs: the message describes
        // its type only, and no source line is shown.
        return map_error_at(schema, origin, error, true)
            .into_iter()
            .map(Diagnostic::sensitive)
            .collect();
    }
    map_error_at(schema, origin, error, false)
}

/// [`map_error`], quoting the value found unless `secret`.
fn map_error_at(
    schema: &Value,
    origin: Origin,
    error: &jsonschema::ValidationError<'_>,
    secret: bool,
) -> Vec<Diagnostic> {
    let pointer = error.instance_path().as_str().to_string();
    // What the message says of the value found.
    let found_text = |value: &Value| {
        if secret {
            type_of(value).to_string()
        } else {
            describe(value)
        }
    };
    let field = field_name(&pointer);
    let here = schema_at(schema, &pointer);
    let doc_of = |s: Option<&Value>| {
        s.and_then(|s| s.get("description"))
            .and_then(Value::as_str)
            // The first paragraph, its lines joined: a line is not a sentence.
            .map(|d| {
                d.split("\n\n")
                    .next()
                    .unwrap_or(d)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
    };
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed: Vec<String> = here
                .and_then(|s| s.get("properties"))
                .and_then(Value::as_object)
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            let allowed_refs: Vec<&str> = allowed.iter().map(String::as_str).collect();
            unexpected
                .iter()
                .map(|name| {
                    if let Some(refusal) = data_residency(schema, &pointer, name) {
                        return Diagnostic::error(
                            codes::UNKNOWN_FIELD,
                            At::key(origin, format!("{pointer}/{}", escape_segment(name))),
                            format!(
                                "`{name}`: a customer's data residency cannot be chosen through the Webex Wholesale API"
                            ),
                        )
                        .hint(refusal);
                    }
                    let hint = match did_you_mean(name, &allowed_refs) {
                        Some(best) => format!("did you mean `{best}`?"),
                        None if allowed.is_empty() => "remove it".to_string(),
                        None => format!("the fields here are: {}", allowed.join(", ")),
                    };
                    Diagnostic::error(
                        codes::UNKNOWN_FIELD,
                        At::key(origin, format!("{pointer}/{}", escape_segment(name))),
                        format!("unknown field `{name}` in {field}"),
                    )
                    .hint(hint)
                })
                .collect()
        }
        ValidationErrorKind::Required { property } => {
            let property = property.as_str().unwrap_or_default();
            let described = here
                .and_then(|s| s.get("properties"))
                .and_then(|p| p.get(property))
                .map(|p| resolve_ref(schema, p));
            let mut hint = format!("add `{property}:`");
            if let Some(doc) = doc_of(described) {
                hint.push_str(&format!(" ({doc})"));
            }
            vec![
                Diagnostic::error(
                    codes::MISSING_FIELD,
                    At::key(origin, pointer.clone()),
                    format!("missing required field `{property}` in {field}"),
                )
                .hint(hint),
            ]
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => type_name(*t).to_string(),
                TypeKind::Multiple(ts) => ts.iter().map(type_name).collect::<Vec<_>>().join(" or "),
            };
            let found = error.instance();
            let mut diagnostic = Diagnostic::error(
                codes::WRONG_TYPE,
                At::value(origin, pointer.clone()),
                format!("{field} must be {expected}, found {}", found_text(found)),
            );
            diagnostic = if expected == "a string" && (found.is_number() || found.is_boolean()) {
                // The number as parsed may already differ from what was written (`+33…` lost its
                // `+`, `0011…` its zeros), so no example is made up from it.
                diagnostic.hint(
                    "quote the value exactly as you mean it: YAML reads unquoted digits as a number, which drops a leading `+` or `0`, and true/false as a boolean",
                )
            } else if let Some(doc) = doc_of(here) {
                diagnostic.hint(doc)
            } else {
                diagnostic.hint(format!("write {expected} here"))
            };
            vec![diagnostic]
        }
        ValidationErrorKind::Enum { .. } | ValidationErrorKind::OneOfNotValid { .. }
            if !allowed_values(here).is_empty() =>
        {
            let options = allowed_values(here);
            let refs: Vec<&str> = options.iter().map(String::as_str).collect();
            let found = plain(error.instance());
            let hint = match did_you_mean(&found, &refs).filter(|_| !secret) {
                Some(best) => format!("did you mean `{best}`? (one of: {})", options.join(", ")),
                None => format!("one of: {}", options.join(", ")),
            };
            let message = if secret {
                format!(
                    "{field} does not allow the value written ({})",
                    type_of(error.instance())
                )
            } else {
                format!("{field} does not allow {}", short(error.instance()))
            };
            vec![Diagnostic::error(codes::INVALID_VALUE, At::value(origin, pointer.clone()), message).hint(hint)]
        }
        ValidationErrorKind::Constant { expected_value } => vec![
            Diagnostic::error(
                codes::INVALID_VALUE,
                At::value(origin, pointer.clone()),
                format!("{field} must be {}", short(expected_value)),
            )
            .hint(format!("write {}", short(expected_value))),
        ],
        other => {
            let (message, hint) = match other {
                ValidationErrorKind::Pattern { pattern } => (
                    if secret {
                        format!("{field} does not have the expected form")
                    } else {
                        format!("{field} {} does not have the expected form", short(error.instance()))
                    },
                    format!("it must match the pattern {pattern}"),
                ),
                ValidationErrorKind::MinLength { limit } => (
                    format!("{field} is shorter than {limit} characters"),
                    "give a value".into(),
                ),
                ValidationErrorKind::MaxLength { limit } => (
                    format!("{field} is longer than {limit} characters"),
                    format!("shorten it to at most {limit} characters"),
                ),
                ValidationErrorKind::Minimum { limit } => {
                    (format!("{field} is less than {limit}"), format!("use {limit} or more"))
                }
                ValidationErrorKind::Maximum { limit } => {
                    (format!("{field} is more than {limit}"), format!("use {limit} or less"))
                }
                ValidationErrorKind::MinItems { limit } => {
                    (format!("{field} needs at least {limit} item(s)"), "add an item".into())
                }
                ValidationErrorKind::MaxItems { limit } => {
                    (format!("{field} has more than {limit} items"), "remove items".into())
                }
                ValidationErrorKind::UniqueItems => (
                    format!("{field} lists the same item twice"),
                    "remove the duplicate".into(),
                ),
                // jsonschema's own message quotes the value.
                _ if secret => (
                    format!("{field} is not valid here"),
                    doc_of(here).unwrap_or_else(|| "see the schema in schemas/".into()),
                ),
                _ => (
                    format!("{field}: {error}"),
                    doc_of(here).unwrap_or_else(|| "see the schema in schemas/".into()),
                ),
            };
            let hint = match doc_of(here) {
                Some(doc) if !hint.contains(&doc) => format!("{hint} ({doc})"),
                _ => hint,
            };
            vec![Diagnostic::error(codes::INVALID_VALUE, At::value(origin, pointer.clone()), message).hint(hint)]
        }
    }
}

/// The values an enumeration allows: `enum`, or a `oneOf` of `const`s (what schemars makes of
/// an enum whose variants carry documentation).
fn allowed_values(schema: Option<&Value>) -> Vec<String> {
    let Some(schema) = schema else { return Vec::new() };
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        return options.iter().map(plain).collect();
    }
    schema
        .get("oneOf")
        .and_then(Value::as_array)
        .map(|branches| {
            branches
                .iter()
                .flat_map(|b| match (b.get("const"), b.get("enum").and_then(Value::as_array)) {
                    (Some(c), _) => vec![plain(c)],
                    (None, Some(e)) => e.iter().map(plain).collect(),
                    _ => Vec::new(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The subschema that describes the instance at `pointer`, following `$ref`s, `properties`,
/// `items` and `additionalProperties`.
fn schema_at<'a>(root: &'a Value, pointer: &str) -> Option<&'a Value> {
    let mut node = resolve_ref(root, root);
    for segment in pointer_segments(pointer) {
        node = resolve_ref(root, node);
        let next = node
            .get("properties")
            .and_then(|p| p.get(&segment))
            .or_else(|| segment.parse::<usize>().ok().and_then(|_| node.get("items")))
            .or_else(|| node.get("additionalProperties").filter(|a| a.is_object()))?;
        node = next;
    }
    Some(resolve_ref(root, node))
}

fn resolve_ref<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    let mut node = node;
    for _ in 0..16 {
        match node
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
        {
            Some(path) => match root.pointer(path) {
                Some(target) => node = target,
                None => break,
            },
            None => break,
        }
    }
    node
}

/// Closest candidate by edit distance, if close enough to be a typo.
pub fn did_you_mean<'a>(input: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = input.to_lowercase();
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(&lower, &c.to_lowercase()), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        // Ties go to the first name in alphabetical order, so that the hint does not depend on
        // the order the candidates came in (a hash map's, for references).
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// `/spec/numbers/3/number` → "`spec.numbers[3].number`".
fn field_name(pointer: &str) -> String {
    if pointer.is_empty() {
        return "the document".to_string();
    }
    let mut out = String::new();
    for segment in pointer_segments(pointer) {
        if segment.parse::<usize>().is_ok() {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&segment);
        }
    }
    format!("`{out}`")
}

fn type_name(t: JsonType) -> &'static str {
    match t {
        JsonType::Array => "a list",
        JsonType::Boolean => "true or false",
        JsonType::Integer => "a whole number",
        JsonType::Null => "empty",
        JsonType::Number => "a number",
        JsonType::Object => "a mapping",
        JsonType::String => "a string",
    }
}

/// What a value is, without what it says.
fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "nothing".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {}", short(&Value::String(s.clone()))),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

/// A value for a message, cut short.
fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(57).collect::<String>())
    } else {
        text
    }
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
