//! `telform docs --write|--check DIR` (hidden): the generated reference in `docs/`.
//!
//! `docs/cli.md` comes from the clap definitions, `docs/reference/<kind>.md` from the JSON
//! Schemas (generated from the kinds), the rule codes and `examples/`. They are committed so
//! that they can be read on GitHub, and checked for drift by `tests/integration/docs.rs`: a
//! command, a field or a rule cannot change without its documentation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::{Arg, ArgAction, Command, CommandFactory};
use serde_json::Value;

use super::{Cli, DocsArgs, ExitStatus, print_err, print_out};
use crate::diag::codes;
use crate::fmt::shape::{self, Shape};
use crate::manifest::Kind;
use crate::manifest::settings::SETTINGS_FILE_NAMES;
use crate::model::fields;
use crate::validate::schema::{kind_schema, settings_schema};

/// How to regenerate, said in every generated file and in drift errors.
const REGENERATE: &str =
    "`cargo run -- docs --write docs` or `TELFORM_UPDATE_DOCS=1 cargo test --test integration docs`";

pub fn run(args: DocsArgs) -> ExitStatus {
    let generated = match generate(&args.examples) {
        Ok(generated) => generated,
        Err(error) => {
            print_err(&format!(
                "error: {error}\nhint: run from the repository root, or point --examples at the examples folder\n"
            ));
            return ExitStatus::Failure;
        }
    };
    match (args.write, args.check) {
        (Some(dir), _) => write(&dir, &generated),
        (None, Some(dir)) => check(&dir, &generated),
        (None, None) => {
            print_err("error: say --write DIR or --check DIR\nhint: `telform docs --check docs`\n");
            ExitStatus::Failure
        }
    }
}

fn write(dir: &Path, generated: &BTreeMap<String, String>) -> ExitStatus {
    for (name, text) in generated {
        let path = dir.join(name);
        if std::fs::read_to_string(&path).is_ok_and(|found| found == *text) {
            continue;
        }
        // Written aside then renamed: the drift test regenerates while other tests read these
        // files, and they must never see half a file.
        let temp = path.with_extension("md.tmp");
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&temp, text))
            .and_then(|()| std::fs::rename(&temp, &path));
        if let Err(error) = written {
            print_err(&format!(
                "error: cannot write {}: {error}\nhint: check that {} is writable\n",
                path.display(),
                dir.display()
            ));
            return ExitStatus::Failure;
        }
    }
    print_out(&format!("wrote {} files to {}\n", generated.len(), dir.display()));
    ExitStatus::Success
}

fn check(dir: &Path, generated: &BTreeMap<String, String>) -> ExitStatus {
    let mut drift = Vec::new();
    let mut diffs = String::new();
    for (name, text) in generated {
        let path = dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(found) if found == *text => {}
            Ok(found) => {
                drift.push(format!("{} differs from the code", path.display()));
                let diff = similar::TextDiff::from_lines(&found, text);
                let shown = path.display().to_string();
                diffs.push_str(
                    &diff
                        .unified_diff()
                        .context_radius(2)
                        .header(&shown, &format!("{shown} (generated)"))
                        .to_string(),
                );
            }
            Err(_) => drift.push(format!("{} is missing", path.display())),
        }
    }
    if let Ok(entries) = std::fs::read_dir(dir.join("reference")) {
        for entry in entries.flatten() {
            let name = format!("reference/{}", entry.file_name().to_string_lossy());
            if name.ends_with(".md") && !generated.contains_key(&name) {
                drift.push(format!("{} is not generated (stale?)", entry.path().display()));
            }
        }
    }
    if drift.is_empty() {
        print_out(&format!(
            "ok: the {} generated files in {} match the code\n",
            generated.len(),
            dir.display()
        ));
        return ExitStatus::Success;
    }
    drift.sort();
    let mut text = diffs;
    text.push_str("error: the generated documentation drifted from the code:\n");
    for line in drift {
        text.push_str(&format!("  - {line}\n"));
    }
    text.push_str(&format!(
        "hint: regenerate it with {REGENERATE}, and commit the result\n"
    ));
    print_err(&text);
    ExitStatus::Failure
}

/// Every generated file, by path relative to the docs folder.
pub fn generate(examples: &Path) -> Result<BTreeMap<String, String>, String> {
    let examples = Examples::read(examples)?;
    let mut out = BTreeMap::new();
    out.insert("cli.md".to_string(), cli_reference());
    for kind in Kind::ALL {
        out.insert(format!("reference/{}", page_name(kind)), kind_page(kind, &examples)?);
    }
    out.insert("reference/settings.md".to_string(), settings_page(&examples)?);
    out.insert("reference/README.md".to_string(), index());
    Ok(out)
}

fn page_name(kind: Kind) -> String {
    kind.schema_file().replace(".json", ".md")
}

fn generated_note(from: &str) -> String {
    format!(
        "> Generated from {from}: do not edit by hand. Regenerate with {REGENERATE}; `cargo test` fails when this file drifts from the code.\n\n"
    )
}

/// One line of text for a Markdown paragraph or table cell.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn cell(text: &str) -> String {
    one_line(text).replace('|', "\\|")
}

// ---------------------------------------------------------------------------------------------
// The CLI reference.

fn cli_reference() -> String {
    let mut root = Cli::command();
    root.build();
    let mut out = String::from("# Command-line reference\n\n");
    out.push_str(&generated_note("the clap definitions (`src/cli/mod.rs`)"));
    if let Some(about) = root.get_long_about().or(root.get_about()) {
        out.push_str(&format!("{}\n\n", one_line(&about.to_string())));
    }
    out.push_str(&format!("```text\n{}\n```\n\n", root.render_usage().to_string().trim()));
    out.push_str("| command | does |\n|---|---|\n");
    for sub in visible(&root) {
        out.push_str(&format!(
            "| [`telform {}`](#telform-{}) | {} |\n",
            sub.get_name(),
            sub.get_name(),
            cell(&sub.get_about().map(|a| a.to_string()).unwrap_or_default())
        ));
    }
    out.push('\n');
    for sub in visible(&root) {
        command_section(&mut out, sub, &format!("telform {}", sub.get_name()), 2);
    }
    out
}

fn visible(command: &Command) -> Vec<&Command> {
    command
        .get_subcommands()
        .filter(|c| !c.is_hide_set() && c.get_name() != "help")
        .collect()
}

fn command_section(out: &mut String, command: &Command, path: &str, level: usize) {
    out.push_str(&format!("{} `{path}`\n\n", "#".repeat(level)));
    if let Some(about) = command.get_long_about().or(command.get_about()) {
        out.push_str(&format!("{}\n\n", one_line(&about.to_string())));
    }
    out.push_str(&format!(
        "```text\n{}\n```\n\n",
        command.clone().render_usage().to_string().trim()
    ));
    let args: Vec<(&Arg, String)> = command
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !matches!(a.get_id().as_str(), "help" | "version"))
        .map(|a| (a, arg_name(a)))
        .collect();
    for (title, positional) in [("Arguments", true), ("Options", false)] {
        let group: Vec<_> = args.iter().filter(|(a, _)| a.is_positional() == positional).collect();
        if group.is_empty() {
            continue;
        }
        out.push_str(&format!("{title}:\n\n"));
        for (arg, name) in group {
            out.push_str(&format!("- `{name}`: {}\n", arg_help(arg)));
        }
        out.push('\n');
    }
    let subs = visible(command);
    if !subs.is_empty() {
        out.push_str("Subcommands:\n\n");
        for sub in &subs {
            out.push_str(&format!(
                "- `{}`: {}\n",
                sub.get_name(),
                one_line(&sub.get_about().map(|a| a.to_string()).unwrap_or_default())
            ));
        }
        out.push('\n');
    }
    if let Some(after) = command.get_after_long_help().or(command.get_after_help()) {
        out.push_str(&format!("```text\n{}\n```\n\n", after.to_string().trim_end()));
    }
    for sub in subs {
        command_section(out, sub, &format!("{path} {}", sub.get_name()), level + 1);
    }
}

fn arg_name(arg: &Arg) -> String {
    let values = arg
        .get_value_names()
        .map(|names| names.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| arg.get_id().as_str().to_uppercase());
    let many = matches!(arg.get_action(), ArgAction::Append) || arg.get_num_args().is_some_and(|n| n.max_values() > 1);
    if arg.is_positional() {
        let mut name = if arg.is_required_set() {
            format!("<{values}>")
        } else {
            format!("[{values}]")
        };
        if many {
            name.push_str("...");
        }
        return name;
    }
    let mut name = String::new();
    if let Some(short) = arg.get_short() {
        name.push_str(&format!("-{short}, "));
    }
    if let Some(long) = arg.get_long() {
        name.push_str(&format!("--{long}"));
    }
    if arg.get_action().takes_values() {
        name.push_str(&format!(" <{values}>"));
    }
    name
}

fn arg_help(arg: &Arg) -> String {
    let mut text = one_line(
        &arg.get_long_help()
            .or(arg.get_help())
            .map(|h| h.to_string())
            .unwrap_or_default(),
    );
    if !text.is_empty() && !text.ends_with(['.', '!', '?']) {
        text.push('.');
    }
    let values: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| match v.get_help() {
            Some(help) => format!(
                "`{}` ({})",
                v.get_name(),
                one_line(&help.to_string()).trim_end_matches('.')
            ),
            None => format!("`{}`", v.get_name()),
        })
        .collect();
    if !values.is_empty() && arg.get_action().takes_values() {
        text.push_str(&format!(" Values: {}.", values.join(", ")));
    }
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| format!("`{}`", v.to_string_lossy()))
        .collect();
    if !defaults.is_empty() && !arg.is_hide_default_value_set() && arg.get_action().takes_values() {
        text.push_str(&format!(" Default: {}.", defaults.join(", ")));
    }
    if let Some(env) = arg.get_env() {
        text.push_str(&format!(" Environment: `{}`.", env.to_string_lossy()));
    }
    text
}

// ---------------------------------------------------------------------------------------------
// The manifest reference.

/// Which kinds each code from the domain rules concerns (the code table in
/// `src/validate/codes.rs` does not say). A unit test checks that every rule code is listed and
/// that every (code, kind) the bad-input corpus produces is in this table.
const RULE_KINDS: &[(&str, &[&str])] = &[
    ("TF101", &["NumberSet", "Location", "User", "Workspace"]),
    ("TF102", &["NumberSet", "Location", "User", "Workspace"]),
    ("TF103", &["NumberSet", "Location", "User", "Workspace"]),
    ("TF104", &["NumberSet"]),
    ("TF105", &["NumberSet"]),
    ("TF106", &["NumberSet"]),
    ("TF107", &["NumberSet", "Location"]),
    ("TF108", &["User", "Workspace"]),
    (
        "TF110",
        &[
            "Account",
            "NumberSet",
            "Consent",
            "Template",
            "Customer",
            "Location",
            "User",
            "Workspace",
            "Device",
        ],
    ),
    ("TF111", &["Device"]),
    ("TF112", &["User", "Workspace"]),
    (
        "TF120",
        &[
            "NumberSet",
            "Consent",
            "Customer",
            "Location",
            "User",
            "Workspace",
            "Device",
        ],
    ),
    ("TF121", &["Consent"]),
    (
        "TF122",
        &[
            "NumberSet",
            "Consent",
            "Customer",
            "Location",
            "User",
            "Workspace",
            "Device",
        ],
    ),
    ("TF130", &["NumberSet"]),
    ("TF131", &["NumberSet"]),
    ("TF132", &["Account"]),
    ("TF133", &["NumberSet"]),
    ("TF134", &["NumberSet"]),
    ("TF135", &["NumberSet"]),
    ("TF136", &["Account"]),
    ("TF140", &["Consent"]),
    ("TF141", &["Consent"]),
    ("TF142", &["Consent"]),
    ("TF150", &["Customer"]),
    ("TF151", &["Customer"]),
    ("TF152", &["Customer"]),
    ("TF153", &["Customer", "Location"]),
    ("TF154", &["Customer"]),
    ("TF155", &["Customer", "Location"]),
    ("TF156", &["Customer"]),
    ("TF160", &["User"]),
    ("TF161", &["User", "Workspace"]),
    ("TF162", &["User"]),
    ("TF163", &["User"]),
    ("TF164", &["User"]),
    ("TF165", &["User", "Workspace"]),
    ("TF170", &["Workspace"]),
    ("TF171", &["Workspace", "Device"]),
    ("TF172", &["Workspace"]),
    ("TF180", &["Device"]),
    ("TF181", &["Device", "Settings"]),
    ("TF182", &["Device"]),
    ("TF183", &["Device"]),
    ("TF184", &["Device"]),
    ("TF185", &["Device"]),
    ("TF186", &["Device"]),
];

/// The codes of the domain rules (TF101 on); the others come from reading files and the schema
/// layer, and concern every kind.
fn is_rule(code: &str) -> bool {
    code >= "TF100"
}

fn rules_of(kind: &str) -> Vec<codes::Code> {
    codes::ALL
        .iter()
        .filter(|c| {
            is_rule(c.id)
                && RULE_KINDS
                    .iter()
                    .any(|(code, kinds)| *code == c.id && kinds.contains(&kind))
        })
        .copied()
        .collect()
}

/// The example documents: every file of `examples/`, in path order.
struct Examples {
    /// (path shown, e.g. `examples/acg/contoso.yaml`; value; text of the document)
    docs: Vec<(String, Value, String)>,
    /// The settings file, when examples/ has one.
    settings: Option<(String, String)>,
}

impl Examples {
    fn read(dir: &Path) -> Result<Examples, String> {
        let mut files = Vec::new();
        collect_yaml(dir, &mut files).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        files.sort();
        let mut examples = Examples {
            docs: Vec::new(),
            settings: None,
        };
        for path in files {
            let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let relative = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            let shown = format!("examples/{relative}");
            let is_settings = path.parent() == Some(dir)
                && path
                    .file_name()
                    .is_some_and(|n| SETTINGS_FILE_NAMES.iter().any(|s| n == *s));
            if is_settings {
                examples.settings = Some((shown, text));
                continue;
            }
            for (value, doc) in crate::fmt::documents(&text) {
                examples.docs.push((shown.clone(), value, doc));
            }
        }
        Ok(examples)
    }

    fn first(&self, kind: Kind) -> Option<&(String, Value, String)> {
        self.docs
            .iter()
            .find(|(_, value, _)| value.get("kind").and_then(Value::as_str) == Some(kind.as_str()))
    }
}

fn collect_yaml(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let hidden = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            collect_yaml(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
    Ok(())
}

/// A document's text as an example: without the editor modeline (its relative path would be
/// wrong here) and the blank or bare `#` lines around it.
fn example_text(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("# yaml-language-server:"))
        .collect();
    let filler = |l: &&str| l.trim().is_empty() || l.trim() == "#";
    let start = lines.iter().position(|l| !filler(l)).unwrap_or(lines.len());
    let end = lines.iter().rposition(|l| !filler(l)).map_or(start, |i| i + 1);
    lines[start..end.max(start)].join("\n")
}

fn kind_page(kind: Kind, examples: &Examples) -> Result<String, String> {
    let schema = kind_schema(kind);
    let shape = shape::document(kind);
    let spec = resolve(&schema["properties"]["spec"], schema);
    let mut out = format!("# {}\n\n", kind.as_str());
    out.push_str(&generated_note(&format!(
        "the JSON Schema `schemas/{}`, the rule codes and `examples/`",
        kind.schema_file()
    )));
    if let Some(description) = spec.get("description").and_then(Value::as_str) {
        out.push_str(&format!("{}\n\n", one_line(description)));
    }
    out.push_str(&format!(
        "Schema: [`schemas/{0}`](../../schemas/{0}). Platform: {1}.\n\n",
        kind.schema_file(),
        if kind <= Kind::Consent {
            "Azure Communications Gateway"
        } else {
            "Webex"
        }
    ));
    out.push_str("## Fields\n\n");
    out.push_str(CHANGE_COLUMN);
    out.push_str(&kind_fields_table(kind, schema, &shape)?);
    out.push_str(&rules_section(kind.as_str()));
    out.push_str("## Example\n\n");
    let (path, _, text) = examples
        .first(kind)
        .ok_or_else(|| format!("examples/ holds no {} document to quote", kind.as_str()))?;
    out.push_str(&format!(
        "From [`{path}`](../../{path}) (`telform fmt` keeps keys in the order of the table above):\n\n```yaml\n{}\n```\n",
        example_text(text)
    ));
    Ok(out)
}

fn settings_page(examples: &Examples) -> Result<String, String> {
    let schema = settings_schema();
    let mut out = String::from("# Settings (`telform.yaml`)\n\n");
    out.push_str(&generated_note(
        "the JSON Schema `schemas/settings.json`, the rule codes and `examples/`",
    ));
    out.push_str(
        "The same settings are read from two files. The operator's settings file, outside the \
manifest repository, named by `--settings FILE` or `TELFORM_SETTINGS`, may set every field. \
`telform.yaml` at the root of the manifest folder (optional) is written by whoever opens a pull \
request, so it may set only `apiVersion`, `acg.requestsPerMinute` (lower than the operator's, \
never higher) and `apply.*`; any other field there is refused (TF027), because it could send a \
credential elsewhere ([`docs/security.md`](../security.md)). The environment variables \
(`TELFORM_ACG_URL`, ...) win over the operator's file, which wins over the folder's. Secrets \
are only ever named (an environment variable), never written.\n\n",
    );
    out.push_str("Schema: [`schemas/settings.json`](../../schemas/settings.json).\n\n## Fields\n\n");
    out.push_str(&fields_table(schema, &shape::settings()));
    out.push_str(&rules_section("Settings"));
    let (path, text) = examples
        .settings
        .as_ref()
        .ok_or("examples/ holds no telform.yaml to quote")?;
    out.push_str(&format!(
        "## Example\n\n[`{path}`](../../{path}):\n\n```yaml\n{}\n```\n",
        example_text(text)
    ));
    Ok(out)
}

fn rules_section(kind: &str) -> String {
    let mut out = String::from("## Rules\n\n");
    out.push_str(
        "Besides the schema above (codes TF020–TF027, and TF001–TF011 for the file itself), \
`telform validate` checks these rules; [`docs/diagnostics.md`](../diagnostics.md) explains the \
output.\n\n",
    );
    let rules = rules_of(kind);
    if rules.is_empty() {
        out.push_str("No rule beyond the schema concerns this kind.\n\n");
        return out;
    }
    out.push_str("| code | rule |\n|---|---|\n");
    for code in rules {
        out.push_str(&format!("| `{}` | {} |\n", code.id, cell(code.title)));
    }
    out.push('\n');
    out
}

fn index() -> String {
    let mut out = String::from("# Manifest reference\n\n");
    out.push_str(&generated_note("the JSON Schemas and the rule codes"));
    out.push_str(
        "One page per manifest kind: its fields (type, whether required, meaning), the rules \
`telform validate` applies to it with their codes, and an example from `examples/`. Every \
document has `apiVersion: telform/v1`, a `kind`, `metadata` (`name`, optional `labels`) and a \
`spec`.\n\n| kind | platform | what it declares |\n|---|---|---|\n",
    );
    for kind in Kind::ALL {
        let schema = kind_schema(kind);
        let spec = resolve(&schema["properties"]["spec"], schema);
        let description = spec.get("description").and_then(Value::as_str).unwrap_or_default();
        let first_sentence = one_line(description);
        let first_sentence = first_sentence
            .split(". ")
            .next()
            .unwrap_or_default()
            .trim_end_matches('.');
        out.push_str(&format!(
            "| [`{}`]({}) | {} | {}. |\n",
            kind.as_str(),
            page_name(kind),
            if kind <= Kind::Consent { "ACG" } else { "Webex" },
            cell(first_sentence)
        ));
    }
    out.push_str(
        "\nAnd the settings file: [`telform.yaml`](settings.md). Diagnostics and their codes: \
[`docs/diagnostics.md`](../diagnostics.md). The JSON Schemas themselves: `schemas/`.\n",
    );
    out
}

fn resolve<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => root
            .pointer(reference.trim_start_matches('#'))
            .map_or(schema, |target| resolve(target, root)),
        None => schema,
    }
}

const CHANGE_COLUMN: &str = "\"A change\" says what editing the field of an existing object does, as \
decided in `src/model/fields.rs` and checked field by field against the emulator: it changes \
in place (the plan shows `~ field: old → new`), forces a replacement (`±`, with the reason), or \
is refused by the plan with what to do, because no API can change it. Fields that are not a \
live object's say what they are instead.\n\n";

/// A kind's fields with what a change of each does; every schema field must have a decision
/// and every decision must name a schema field, or the reference cannot be written.
fn kind_fields_table(kind: Kind, root: &Value, shape: &Shape) -> Result<String, String> {
    let mut rows = Vec::new();
    object_rows(root, root, shape, "", &mut rows);
    if let Some((stray, _)) = fields::outcomes(kind)
        .iter()
        .find(|(field, _)| !rows.iter().any(|r| r.0 == *field))
    {
        return Err(format!(
            "{}: src/model/fields.rs decides `{stray}`, which the schema does not have",
            kind.as_str()
        ));
    }
    let mut cells = Vec::with_capacity(rows.len());
    for (path, ty, required, description) in rows {
        let outcome = fields::outcome(kind, &path).ok_or_else(|| {
            format!(
                "{}: field `{path}` has no decision in src/model/fields.rs: say whether a change changes it in place, replaces the object or is refused",
                kind.as_str()
            )
        })?;
        let mut change = outcome.describe();
        if let Some(condition) = fields::condition(kind, &path) {
            change.push_str(&format!(" ({condition})"));
        }
        if let Some(removal) = fields::removal(kind, &path).filter(|r| *r != outcome) {
            change.push_str(&format!("; removing it: {}", removal.describe()));
        }
        cells.push([path, ty, yes_no(required), change, description]);
    }
    Ok(markdown_table(
        ["field", "type", "required", "a change", "description"],
        cells,
    ))
}

fn fields_table(root: &Value, shape: &Shape) -> String {
    let mut rows = Vec::new();
    object_rows(root, root, shape, "", &mut rows);
    let cells = rows
        .into_iter()
        .map(|(path, ty, required, description)| [path, ty, yes_no(required), description]);
    markdown_table(["field", "type", "required", "description"], cells)
}

fn yes_no(required: bool) -> String {
    if required { "yes" } else { "no" }.to_string()
}

/// A table of fields: the first cell of a row is a field's path, shown as code.
fn markdown_table<const N: usize>(headers: [&str; N], rows: impl IntoIterator<Item = [String; N]>) -> String {
    let mut out = format!("| {} |\n|{}\n", headers.join(" | "), "---|".repeat(N));
    for row in rows {
        let shown: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| if i == 0 { format!("`{c}`") } else { cell(c) })
            .collect();
        out.push_str(&format!("| {} |\n", shown.join(" | ")));
    }
    out.push('\n');
    out
}

/// The rows of an object's fields, in the order fmt writes them, then their own fields.
fn object_rows(
    schema: &Value,
    root: &Value,
    shape: &Shape,
    prefix: &str,
    rows: &mut Vec<(String, String, bool, String)>,
) {
    let object = resolve(schema, root);
    let Some(properties) = object.get("properties").and_then(Value::as_object) else {
        return;
    };
    let required: Vec<&str> = object
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut names: Vec<&str> = match shape {
        Shape::Struct(fields) => fields
            .iter()
            .map(|f| f.name)
            .filter(|n| properties.contains_key(*n))
            .collect(),
        _ => Vec::new(),
    };
    let mut rest: Vec<&str> = properties
        .keys()
        .map(String::as_str)
        .filter(|n| !names.contains(n))
        .collect();
    rest.sort_unstable();
    names.extend(rest);
    for name in names {
        let property = &properties[name];
        let target = resolve(property, root);
        let description = property
            .get("description")
            .or_else(|| target.get("description"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let path = format!("{prefix}{name}");
        rows.push((
            path.clone(),
            describe(target, root),
            required.contains(&name),
            description.to_string(),
        ));
        let child = shape.field(name).unwrap_or(&Shape::Leaf);
        if target.get("properties").is_some() {
            object_rows(target, root, child, &format!("{path}."), rows);
        } else if let Some(items) = target.get("items") {
            let item_shape = match child {
                Shape::Seq { item, .. } => item.as_ref(),
                _ => &Shape::Leaf,
            };
            object_rows(items, root, item_shape, &format!("{path}[]."), rows);
        }
    }
}

/// A schema's type in words: `string, 1–100 characters, matching ^…$`, `one of a, b`…
fn describe(schema: &Value, root: &Value) -> String {
    let schema = resolve(schema, root);
    if let Some(value) = schema.get("const") {
        return format!("`{}`", value.as_str().map_or_else(|| value.to_string(), str::to_string));
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        let names: Vec<String> = options
            .iter()
            .map(|o| format!("`{}`", o.as_str().map_or_else(|| o.to_string(), str::to_string)))
            .collect();
        return format!("one of {}", names.join(", "));
    }
    // An enum whose variants have doc comments: `oneOf` one `const` each, with its meaning.
    if let Some(branches) = schema.get("oneOf").and_then(Value::as_array) {
        let names: Option<Vec<String>> = branches
            .iter()
            .map(|b| {
                let name = b.get("const")?.as_str()?;
                Some(match b.get("description").and_then(Value::as_str) {
                    Some(meaning) => format!("`{name}` ({})", one_line(meaning).trim_end_matches('.')),
                    None => format!("`{name}`"),
                })
            })
            .collect();
        if let Some(names) = names {
            return format!("one of {}", names.join(", "));
        }
    }
    let number = |key: &str| schema.get(key).and_then(Value::as_u64);
    let mut text = match schema.get("type").and_then(Value::as_str) {
        Some("array") => {
            let items = schema
                .get("items")
                .map_or_else(|| "values".to_string(), |i| plural_of(&describe(i, root)));
            format!("list of {items}")
        }
        Some("object") => match schema.get("additionalProperties") {
            Some(values @ Value::Object(_)) => format!("map of string to {}", describe(values, root)),
            _ => "object".to_string(),
        },
        Some(other) => other.to_string(),
        None => "any".to_string(),
    };
    match (number("minLength"), number("maxLength")) {
        (Some(min), Some(max)) => text.push_str(&format!(", {min}–{max} characters")),
        (Some(min), None) => text.push_str(&format!(
            ", at least {min} character{}",
            if min == 1 { "" } else { "s" }
        )),
        (None, Some(max)) => text.push_str(&format!(", at most {max} characters")),
        (None, None) => {}
    }
    match (number("minimum"), number("maximum")) {
        (Some(min), Some(max)) => text.push_str(&format!(", {min}–{max}")),
        (Some(min), None) if min > 0 => text.push_str(&format!(", at least {min}")),
        (_, Some(max)) => text.push_str(&format!(", at most {max}")),
        _ => {}
    }
    if schema.get("minItems").and_then(Value::as_u64).is_some_and(|n| n > 0) {
        text.push_str(", not empty");
    }
    if schema.get("uniqueItems") == Some(&Value::Bool(true)) {
        text.push_str(", no duplicates");
    }
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
        text.push_str(&format!(", matching `{pattern}`"));
    }
    text
}

fn plural_of(what: &str) -> String {
    match what {
        "object" => "objects".to_string(),
        "string" => "strings".to_string(),
        other => format!("({other})"),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn every_field_of_every_kind_has_one_decision_and_every_decision_a_field() {
        let mut fields = 0;
        for kind in Kind::ALL {
            let table = kind_fields_table(kind, kind_schema(kind), &shape::document(kind))
                .unwrap_or_else(|problem| panic!("{problem}"));
            fields += table.lines().count() - 3;
        }
        // The count the field-by-field acceptance test prints too.
        assert!(fields > 150, "{fields} fields");
    }

    #[test]
    fn a_field_without_a_decision_stops_the_reference() {
        let mut schema = kind_schema(Kind::User).clone();
        let spec = schema["properties"]["spec"].clone();
        let problem = match spec.get("$ref") {
            // The spec is a reference: the new field goes where it points.
            Some(_) => {
                let pointer = spec["$ref"].as_str().expect("ref").trim_start_matches('#').to_string();
                schema.pointer_mut(&pointer).expect("target")["properties"]["nickName"] =
                    serde_json::json!({"type": "string"});
                kind_fields_table(Kind::User, &schema, &shape::document(Kind::User)).expect_err("no decision")
            }
            None => kind_fields_table(Kind::User, &schema, &shape::document(Kind::User)).expect_err("no decision"),
        };
        assert!(problem.contains("`spec.nickName` has no decision"), "{problem}");
    }

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn every_rule_code_is_placed() {
        let placed: BTreeSet<&str> = RULE_KINDS.iter().map(|(code, _)| *code).collect();
        for code in codes::ALL.iter().filter(|c| is_rule(c.id)) {
            assert!(
                placed.contains(code.id),
                "{} ({}) concerns which kinds? Add it to RULE_KINDS in src/cli/docs.rs",
                code.id,
                code.title
            );
        }
        let known: BTreeSet<&str> = codes::ALL.iter().map(|c| c.id).collect();
        for (code, kinds) in RULE_KINDS {
            assert!(known.contains(code), "{code} is not a code");
            for kind in *kinds {
                assert!(
                    *kind == "Settings" || kind.parse::<Kind>().is_ok(),
                    "{code}: {kind} is not a kind"
                );
            }
        }
    }

    /// The bad-input corpus says which kind each rule fired on: the table must agree, so a
    /// reference page never misses a rule that concerns its kind.
    #[test]
    fn the_corpus_agrees_with_the_rule_table() {
        let dir = root().join("tests/bad");
        let mut seen = 0;
        for entry in std::fs::read_dir(&dir).expect("tests/bad exists") {
            let path = entry.expect("entry").path();
            let validated = crate::validate::validate(std::slice::from_ref(&path));
            for diagnostic in &validated.diagnostics {
                if !is_rule(diagnostic.code.id) {
                    continue;
                }
                let kind = match &diagnostic.object {
                    Some(object) => object.split('/').next().unwrap_or_default(),
                    // The settings file is the only thing checked without an object.
                    None => "Settings",
                };
                let listed = RULE_KINDS
                    .iter()
                    .any(|(code, kinds)| *code == diagnostic.code.id && kinds.contains(&kind));
                assert!(
                    listed,
                    "{}: {} fired on a {kind}, which RULE_KINDS does not list for it",
                    path.display(),
                    diagnostic.code.id
                );
                seen += 1;
            }
        }
        assert!(seen > 50, "only {seen} rule diagnostics in the corpus");
    }

    #[test]
    fn types_in_words() {
        let root = serde_json::json!({});
        let text = describe(
            &serde_json::json!({"type": "string", "minLength": 1, "maxLength": 10, "pattern": "^a|b$"}),
            &root,
        );
        assert_eq!(text, "string, 1–10 characters, matching `^a|b$`");
        assert_eq!(cell(&text), "string, 1–10 characters, matching `^a\\|b$`");
        assert_eq!(
            describe(
                &serde_json::json!({"type": "array", "items": {"enum": ["a", "b"]}, "uniqueItems": true}),
                &root
            ),
            "list of (one of `a`, `b`), no duplicates"
        );
    }

    #[test]
    fn examples_lose_only_the_modeline() {
        assert_eq!(
            example_text("# yaml-language-server: $schema=x\n#\n# About.\napiVersion: telform/v1\n\n"),
            "# About.\napiVersion: telform/v1"
        );
    }
}
