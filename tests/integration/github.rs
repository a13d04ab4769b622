//! The GitHub integration: the workflow files and the composite action hold together (they parse,
//! and every input, step output and telform command they name exists), `validate --output
//! github` speaks GitHub's workflow-command syntax, a huge plan fits in one pull-request comment,
//! and `telform init` writes a starter that validates.
//!
//! What cannot run here is GitHub itself (the runner, the API calls of the comment and the
//! artifact lookup): ci.yml's `action` job runs the action on GitHub.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use telform::emulator::{self, seed};
use telform::manifest::yaml::{self, Limits};

use crate::{root, stdout, telform};

const ACTION: &str = "action.yml";
const EXAMPLE_WORKFLOW: &str = ".github/workflow-templates/telform.yml";
const CI_WORKFLOW: &str = ".github/workflows/ci.yml";

/// Reads a YAML file with telform's own parser (saphyr-parser, duplicate keys refused).
fn load(path: &str) -> Value {
    let text = std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    let parsed = yaml::parse(&text, Limits::default(), false);
    assert!(
        parsed.errors.is_empty(),
        "{path} is not valid YAML: {:?}",
        parsed.errors
    );
    assert_eq!(parsed.docs.len(), 1, "{path}: one document");
    let value = parsed.docs.into_iter().next().map(|d| d.value).unwrap_or_default();
    assert!(value.is_object(), "{path}: a mapping at the top");
    value
}

fn field<'a>(value: &'a Value, key: &str) -> &'a Value {
    value.get(key).unwrap_or(&Value::Null)
}

fn string_keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// A name an expression refers to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Ref {
    Input(String),
    /// `steps.<id>.outputs.<name>` (`name` empty for `steps.<id>.outcome` and the like).
    Step(String, String),
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// `inputs.x` and `steps.x.outputs.y` in an expression. A name counts only at a word boundary
/// (`github.event.inputs.x` is not the action's input).
fn refs_in_expression(expression: &str, out: &mut Vec<Ref>) {
    let name_at = |s: &str| -> String { s.chars().take_while(|&c| is_name_char(c)).collect() };
    for (i, _) in expression.match_indices("inputs.") {
        let before = expression[..i].chars().next_back();
        if before.is_some_and(|c| is_name_char(c) || c == '.') {
            continue;
        }
        out.push(Ref::Input(name_at(&expression[i + "inputs.".len()..])));
    }
    for (i, _) in expression.match_indices("steps.") {
        let before = expression[..i].chars().next_back();
        if before.is_some_and(|c| is_name_char(c) || c == '.') {
            continue;
        }
        let rest = &expression[i + "steps.".len()..];
        let id = name_at(rest);
        let output = rest[id.len()..]
            .strip_prefix(".outputs.")
            .map(name_at)
            .unwrap_or_default();
        out.push(Ref::Step(id, output));
    }
}

/// Every reference in a value's strings: inside `${{ }}`, and the whole of an `if:`.
/// `run:` and `script:` bodies are left out: [`no_expression_in_scripts`] keeps them free of
/// expressions.
fn refs(value: &Value, key: Option<&str>, out: &mut Vec<Ref>) {
    match value {
        Value::String(s) if key == Some("if") && !s.contains("${{") => refs_in_expression(s, out),
        Value::String(s) if key != Some("run") && key != Some("script") => {
            let mut rest = s.as_str();
            while let Some(start) = rest.find("${{") {
                let after = &rest[start + 3..];
                let end = after
                    .find("}}")
                    .unwrap_or_else(|| panic!("unclosed expression in {s:?}"));
                refs_in_expression(&after[..end], out);
                rest = &after[end + 2..];
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, None, out)),
        Value::Object(map) => map.iter().for_each(|(k, v)| refs(v, Some(k), out)),
        _ => {}
    }
}

fn is_telform_action(uses: &str) -> bool {
    uses == "./" || uses.split('@').next().is_some_and(|repo| repo.ends_with("/telform"))
}

/// The outputs a step sets. Run scripts follow one convention, `echo "name=value"` into
/// `$GITHUB_OUTPUT` (alone or in a `{ …; } >> "$GITHUB_OUTPUT"` group); github-script uses
/// `core.setOutput('name', …)`; third-party actions have their documented outputs.
fn step_outputs(step: &Value, action_outputs: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if let Some(run) = field(step, "run").as_str()
        && run.contains("GITHUB_OUTPUT")
    {
        for (i, _) in run.match_indices("echo \"") {
            let name: String = run[i + 6..].chars().take_while(|&c| is_name_char(c)).collect();
            if !name.is_empty() && run[i + 6 + name.len()..].starts_with('=') {
                out.insert(name);
            }
        }
    }
    let uses = field(step, "uses").as_str().unwrap_or_default();
    if uses.starts_with("actions/github-script@") {
        let script = field(field(step, "with"), "script").as_str().unwrap_or_default();
        for (i, _) in script.match_indices("core.setOutput(") {
            let rest = &script[i + "core.setOutput(".len()..];
            let quote = rest.chars().next().unwrap_or(' ');
            if let Some(name) = rest[1..].split(quote).next() {
                out.insert(name.to_string());
            }
        }
    }
    let documented: &[&str] = match uses.split('@').next().unwrap_or_default() {
        "actions/cache" => &["cache-hit"],
        "actions/checkout" => &["ref", "commit"],
        "actions/upload-artifact" => &["artifact-id", "artifact-url", "artifact-digest"],
        "actions/download-artifact" => &["download-path"],
        _ => &[],
    };
    out.extend(documented.iter().map(|s| s.to_string()));
    if is_telform_action(uses) {
        out.extend(action_outputs.iter().cloned());
    }
    out
}

/// Checks one list of steps (a job's or the action's): ids unique, every `steps.x.outputs.y`
/// names an earlier step that sets `y`, every `inputs.x` is declared. Returns the problems.
fn check_steps(
    place: &str,
    steps: &[Value],
    inputs: &BTreeSet<String>,
    action_outputs: &BTreeSet<String>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut earlier: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (n, step) in steps.iter().enumerate() {
        let mut found = Vec::new();
        refs(step, None, &mut found);
        for r in found {
            match r {
                Ref::Input(name) if !inputs.contains(&name) => {
                    problems.push(format!("{place}, step {n}: `inputs.{name}` is not declared"))
                }
                Ref::Step(id, output) => match earlier.get(&id) {
                    None => problems.push(format!("{place}, step {n}: no earlier step has the id `{id}`")),
                    Some(outputs) if !output.is_empty() && !outputs.contains(&output) => problems.push(format!(
                        "{place}, step {n}: step `{id}` sets no output `{output}` (it sets {outputs:?})"
                    )),
                    Some(_) => {}
                },
                Ref::Input(_) => {}
            }
        }
        if let Some(id) = field(step, "id").as_str()
            && earlier
                .insert(id.to_string(), step_outputs(step, action_outputs))
                .is_some()
        {
            problems.push(format!("{place}: two steps have the id `{id}`"));
        }
    }
    problems
}

/// The steps of every job of a workflow, by job name.
fn jobs(workflow: &Value) -> Vec<(String, Vec<Value>)> {
    field(workflow, "jobs")
        .as_object()
        .expect("jobs")
        .iter()
        .map(|(name, job)| {
            (
                name.clone(),
                field(job, "steps").as_array().cloned().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn the_action_and_the_workflows_reference_only_what_exists() {
    let action = load(ACTION);
    assert_eq!(field(field(&action, "runs"), "using"), "composite");
    let inputs = string_keys(field(&action, "inputs"));
    let outputs = string_keys(field(&action, "outputs"));
    assert!(
        inputs.contains("command") && outputs.contains("has-changes"),
        "{inputs:?} {outputs:?}"
    );
    let steps = field(field(&action, "runs"), "steps")
        .as_array()
        .expect("runs.steps")
        .clone();
    let mut problems = check_steps(ACTION, &steps, &inputs, &outputs);

    // The action's outputs may read any of its steps, in any order.
    let all: BTreeMap<String, BTreeSet<String>> = steps
        .iter()
        .filter_map(|s| Some((field(s, "id").as_str()?.to_string(), step_outputs(s, &outputs))))
        .collect();
    for (name, output) in field(&action, "outputs").as_object().expect("outputs") {
        let mut found = Vec::new();
        refs(field(output, "value"), None, &mut found);
        assert!(!found.is_empty(), "output {name} reads nothing");
        for r in found {
            if let Ref::Step(id, step_output) = r
                && !all.get(&id).is_some_and(|o| o.contains(&step_output))
            {
                problems.push(format!(
                    "{ACTION}: output `{name}` reads `steps.{id}.outputs.{step_output}`, which no step sets"
                ));
            }
        }
    }
    // Composite run steps must name their shell.
    for (n, step) in steps.iter().enumerate() {
        if step.get("run").is_some() && step.get("shell").is_none() {
            problems.push(format!("{ACTION}, step {n}: a composite `run` step needs `shell`"));
        }
    }

    let mut uses_of_the_action = 0;
    for path in [EXAMPLE_WORKFLOW, CI_WORKFLOW] {
        let workflow = load(path);
        // `on` stays a string key in YAML 1.2 (YAML 1.1 would read it as `true`).
        assert!(workflow.get("on").is_some(), "{path}: no `on`");
        let on = field(&workflow, "on");
        let mut declared = string_keys(field(field(on, "workflow_dispatch"), "inputs"));
        declared.extend(string_keys(field(field(on, "workflow_call"), "inputs")));
        for (job, job_steps) in jobs(&workflow) {
            problems.extend(check_steps(
                &format!("{path}, job {job}"),
                &job_steps,
                &declared,
                &outputs,
            ));
            for (n, step) in job_steps.iter().enumerate() {
                if !is_telform_action(field(step, "uses").as_str().unwrap_or_default()) {
                    continue;
                }
                uses_of_the_action += 1;
                let given = string_keys(field(step, "with"));
                for name in given.difference(&inputs) {
                    problems.push(format!("{path}, job {job}, step {n}: the action has no input `{name}`"));
                }
                for (name, input) in field(&action, "inputs").as_object().expect("inputs") {
                    if field(input, "required") == &Value::Bool(true) && !given.contains(name) {
                        problems.push(format!(
                            "{path}, job {job}, step {n}: required input `{name}` not given"
                        ));
                    }
                }
            }
        }
    }
    assert!(
        uses_of_the_action >= 5,
        "the workflows use the action {uses_of_the_action} times"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The checker itself finds what it is there to find: without this, a checker that finds
/// nothing would pass the test above.
#[test]
fn the_reference_checker_catches_mistakes() {
    let parse = |text: &str| yaml::parse(text, Limits::default(), false).docs.remove(0).value;
    let steps = parse(
        r#"
- id: a
  run: echo "x=1" >> "$GITHUB_OUTPUT"
- if: steps.a.outputs.y == '1' && inputs.nope
  run: true
- env: {V: "${{ steps.later.outputs.x }}"}
  run: true
- id: later
  run: true
- id: a
  run: true
"#,
    );
    let inputs: BTreeSet<String> = ["yes".to_string()].into();
    let problems = check_steps("t", steps.as_array().expect("list"), &inputs, &BTreeSet::new()).join("\n");
    for expected in [
        "step `a` sets no output `y`",
        "`inputs.nope` is not declared",
        "no earlier step has the id `later`",
        "two steps have the id `a`",
    ] {
        assert!(problems.contains(expected), "{expected} not found in:\n{problems}");
    }
    let mut found = Vec::new();
    refs_in_expression("github.event.inputs.x || inputs.y", &mut found);
    assert_eq!(found, [Ref::Input("y".into())]);
}

/// Values reach scripts through `env:`, never by `${{ }}` inside a script, where a branch name
/// or a pull-request title would become code (GitHub's script-injection advice).
#[test]
fn no_expression_in_scripts() {
    let action = load(ACTION);
    let mut scripts = Vec::new();
    let mut collect = |steps: &[Value]| {
        for step in steps {
            scripts.extend(field(step, "run").as_str().map(String::from));
            scripts.extend(field(field(step, "with"), "script").as_str().map(String::from));
        }
    };
    collect(field(field(&action, "runs"), "steps").as_array().expect("steps"));
    for path in [EXAMPLE_WORKFLOW, CI_WORKFLOW] {
        for (_, steps) in jobs(&load(path)) {
            collect(&steps);
        }
    }
    assert!(scripts.len() > 10);
    for script in scripts {
        assert!(!script.contains("${{"), "an expression inside a script:\n{script}");
    }
}

/// Secrets go to the steps that run telform and nowhere else (not to checkout, not to every
/// step of a job through a job-level `env`).
#[test]
fn secrets_reach_only_the_telform_steps() {
    let workflow = load(EXAMPLE_WORKFLOW);
    for (name, job) in field(&workflow, "jobs").as_object().expect("jobs") {
        let mut outside = job.clone();
        if let Some(steps) = outside.get_mut("steps").and_then(Value::as_array_mut) {
            steps.retain(|s| !is_telform_action(field(s, "uses").as_str().unwrap_or_default()));
        }
        assert!(
            !outside.to_string().contains("secrets."),
            "job {name} gives secrets to something other than the telform action"
        );
    }
    let text = workflow.to_string();
    for variable in ["TELFORM_ACG_CLIENT_SECRET", "TELFORM_WEBEX_TOKEN"] {
        assert!(
            text.contains(&format!("secrets.{variable}")),
            "{variable} is not read from secrets"
        );
    }
    assert!(
        !field(&workflow, "env").is_object(),
        "no workflow-level env: it reaches every step"
    );
}

/// Applies never overlap and are never cancelled halfway; plans of one pull request replace
/// each other; and a merge applies only the reviewed plan.
#[test]
fn the_example_workflow_serialises_applies() {
    let workflow = load(EXAMPLE_WORKFLOW);
    let jobs = field(&workflow, "jobs");
    let apply = field(jobs, "apply");
    let concurrency = field(apply, "concurrency");
    assert!(
        field(concurrency, "group").as_str().is_some_and(|g| !g.contains("${{")),
        "one fixed group"
    );
    assert_eq!(field(concurrency, "cancel-in-progress"), &Value::Bool(false));
    let plan = field(jobs, "plan");
    assert_eq!(
        field(field(plan, "concurrency"), "cancel-in-progress"),
        &Value::Bool(true)
    );
    assert_eq!(field(field(plan, "permissions"), "pull-requests"), "write");
    assert_eq!(
        field(field(apply, "permissions"), "actions"),
        "read",
        "the artifact download"
    );
    let apply_step = field(apply, "steps")
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| field(field(s, "with"), "command") == "apply")
        .expect("an apply step");
    assert_eq!(
        field(field(apply_step, "with"), "reviewed-plan"),
        "${{ github.event_name == 'push' }}"
    );
}

#[test]
fn ci_runs_the_same_script_as_a_developer() {
    let ci = load(CI_WORKFLOW);
    let runs: Vec<String> = jobs(&ci)
        .into_iter()
        .flat_map(|(_, steps)| steps)
        .filter_map(|s| field(&s, "run").as_str().map(String::from))
        .collect();
    assert!(runs.iter().any(|r| r.trim() == "bash .ci/run"), "{runs:?}");
    let script = std::fs::read_to_string(root().join(".ci/run")).expect(".ci/run");
    for command in ["cargo fmt", "cargo clippy", "schema --check", "cargo test --locked"] {
        assert!(script.contains(command), ".ci/run does not run {command}");
    }
    // rustdoc with warnings denied, in .ci/run like every other check.
    assert!(
        script.contains("RUSTDOCFLAGS=\"-D warnings\" cargo doc"),
        "rustdoc warnings are not denied in .ci/run"
    );
    // The MSRV job reads rust-version from Cargo.toml, which must have one.
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml");
    assert!(manifest.lines().any(|l| l.starts_with("rust-version = \"")));
    assert!(runs.iter().any(|r| r.contains("rust-version")));
}

/// `telform <command> --flags` as written in a shell script, backslash continuations joined,
/// comment lines left out, `telform` only where a command starts.
fn telform_invocations(script: &str) -> Vec<(String, Vec<String>)> {
    let joined = script.replace("\\\n", " ");
    let mut out = Vec::new();
    for line in joined.lines().filter(|l| !l.trim_start().starts_with('#')) {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        for (i, token) in tokens.iter().enumerate() {
            // Only where a shell runs a command: `telform` in an echoed sentence is prose.
            let at_command = i == 0 || matches!(tokens[i - 1], "|" | "&&" | "||" | ";" | "then" | "do" | "!" | "if");
            if !(at_command && *token == "telform" || token.ends_with("$(telform")) {
                continue;
            }
            let Some(raw) = tokens.get(i + 1) else {
                continue;
            };
            let command = raw.trim_end_matches([';', ')']);
            if command.is_empty() || !command.chars().all(|c| c.is_ascii_lowercase()) {
                continue;
            }
            let mut flags = Vec::new();
            // The command ends at a separator token, or at a token that ends with `;` or `)`.
            let ended = raw.ends_with([';', ')']);
            for t in tokens[i + 2..].iter().take_while(|_| !ended) {
                if matches!(*t, "|" | ">" | ">>" | ";" | "&&" | "||" | "&" | "2>&1") {
                    break;
                }
                if t.starts_with('-') {
                    let flag = t.split('=').next().unwrap_or(t).trim_end_matches([';', ')']);
                    flags.push(flag.to_string());
                }
                if t.ends_with([';', ')']) {
                    break;
                }
            }
            out.push((command.to_string(), flags));
        }
    }
    out
}

#[test]
fn the_telform_commands_the_workflows_run_exist() {
    let mut scripts = Vec::new();
    let action = load(ACTION);
    for step in field(field(&action, "runs"), "steps").as_array().expect("steps") {
        scripts.extend(field(step, "run").as_str().map(String::from));
    }
    for path in [EXAMPLE_WORKFLOW, CI_WORKFLOW] {
        for (_, steps) in jobs(&load(path)) {
            scripts.extend(steps.iter().filter_map(|s| field(s, "run").as_str().map(String::from)));
        }
    }
    let mut flags_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for script in &scripts {
        for (command, flags) in telform_invocations(script) {
            flags_of.entry(command).or_default().extend(flags);
        }
    }
    for command in ["validate", "plan", "apply", "emulator"] {
        assert!(
            flags_of.contains_key(command),
            "telform {command} not found in {flags_of:?}"
        );
    }
    for (command, flags) in &flags_of {
        let help = telform(&root(), &[command, "--help"]);
        assert_eq!(
            help.status.code(),
            Some(0),
            "`telform {command}` does not exist: {}",
            String::from_utf8_lossy(&help.stderr)
        );
        let text = stdout(&help);
        for flag in flags {
            // `-o` is documented as `-o, --out <FILE>`.
            let documented = if flag.starts_with("--") {
                text.contains(&format!("{flag} ")) || text.contains(&format!("{flag}\n"))
            } else {
                text.contains(&format!("{flag},"))
            };
            assert!(documented, "`telform {command}` has no flag {flag}:\n{text}");
        }
    }
}

#[test]
fn invocations_are_found_with_their_flags() {
    let found = telform_invocations(
        "# telform needs rust\nset +e\ntelform plan \"$D\" --output markdown \\\n  -o \"$F\" > out.md\necho \"so telform refused it\"\nif telform validate .; then x=$(telform schema --check s); fi\n",
    );
    assert_eq!(
        found,
        [
            ("plan".to_string(), vec!["--output".to_string(), "-o".to_string()]),
            ("validate".to_string(), vec![]),
            ("schema".to_string(), vec!["--check".to_string()]),
        ]
    );
}

/// Undoes GitHub's escaping of workflow-command properties (`%`, CR, LF, `:`, `,`), refusing
/// any other `%` sequence.
fn unescape(s: &str, property: bool) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let code = rest.get(i + 1..i + 3).ok_or_else(|| format!("a lone % in {s:?}"))?;
        out.push(match code {
            "25" => '%',
            "0D" => '\r',
            "0A" => '\n',
            "3A" if property => ':',
            "2C" if property => ',',
            _ => return Err(format!("%{code} is not an escape GitHub knows in {s:?}")),
        });
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    Ok(out)
}

/// One annotation, parsed as GitHub documents it:
/// `::error file={name},line={line},endLine={endLine},col={col},endColumn={endColumn},title={title}::{message}`.
#[derive(Debug)]
struct Annotation {
    level: String,
    properties: BTreeMap<String, String>,
    message: String,
}

fn parse_annotation(line: &str) -> Result<Annotation, String> {
    let rest = line.strip_prefix("::").ok_or("does not start with ::")?;
    // Properties escape `:`, so the first `::` ends them.
    let (head, data) = rest.split_once("::").ok_or("no :: before the message")?;
    let (level, properties) = head.split_once(' ').unwrap_or((head, ""));
    if !["error", "warning", "notice"].contains(&level) {
        return Err(format!("{level} is not an annotation command"));
    }
    if data.contains('\r') {
        return Err("a raw CR in the message".into());
    }
    let mut parsed = BTreeMap::new();
    for property in properties.split(',').filter(|p| !p.is_empty()) {
        let (key, value) = property.split_once('=').ok_or(format!("{property} is not key=value"))?;
        if value.contains(':') {
            return Err(format!("an unescaped : in {key}"));
        }
        if !["file", "line", "endLine", "col", "endColumn", "title"].contains(&key) {
            return Err(format!("{key} is not a documented parameter"));
        }
        if parsed.insert(key.to_string(), unescape(value, true)?).is_some() {
            return Err(format!("{key} twice"));
        }
    }
    for key in ["line", "endLine", "col", "endColumn"] {
        if let Some(v) = parsed.get(key)
            && !v.parse::<u32>().is_ok_and(|n| n >= 1)
        {
            return Err(format!("{key}={v} is not a 1-based number"));
        }
    }
    let number = |key: &str| parsed.get(key).and_then(|v| v.parse::<u32>().ok());
    if let (Some(start), Some(end)) = (number("line"), number("endLine"))
        && end < start
    {
        return Err("endLine before line".into());
    }
    if number("endLine") == number("line")
        && let (Some(start), Some(end)) = (number("col"), number("endColumn"))
        && end < start
    {
        return Err("endColumn before col".into());
    }
    Ok(Annotation {
        level: level.to_string(),
        properties: parsed,
        message: unescape(data, false)?,
    })
}

#[test]
fn the_annotation_parser_refuses_what_github_would_misread() {
    for bad in [
        "::error file=a:b.yaml,line=1::m",
        "::error file=a.yaml,line=0::m",
        "::error file=a.yaml,line=3,endLine=2::m",
        "::error file=a.yaml,row=3::m",
        "::error file=a.yaml::50% off",
        "::error file=a%2Cb.yaml::%3A",
        "::fatal file=a.yaml::m",
    ] {
        assert!(parse_annotation(bad).is_err(), "accepted {bad}");
    }
    let good = parse_annotation("::error file=a%2Cb%3A.yaml,line=2,title=t::50%25 off%0Ahint").expect("valid");
    assert_eq!(good.properties["file"], "a,b:.yaml");
    assert_eq!(good.message, "50% off\nhint");
}

/// A file name with `,` and `:` and a message with `%` survive GitHub's escaping, and each
/// annotation points at the line and column at fault.
#[test]
fn validate_github_output_follows_the_workflow_command_syntax() {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = "odd,name:1.yaml";
    let text = r#"apiVersion: telform/v1
kind: Account
metadata: {name: tailspin}
spec:
  services:
    directRouting: {enabled: true}
  prun%e: true
---
apiVersion: telform/v1
kind: NumberSet
metadata: {name: tailspin-dr}
spec:
  account: tailspin
  service: directRouting
  numbers:
    - number: "4255550100"
"#;
    std::fs::write(dir.path().join(name), text).expect("written");
    let output = telform(dir.path(), &["validate", "--output", "github", "."]);
    assert_eq!(output.status.code(), Some(1));
    let out = stdout(&output);
    let annotations: Vec<Annotation> = out
        .lines()
        .map(|line| parse_annotation(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert_eq!(annotations.len(), 2, "{out}");
    let lines: Vec<&str> = text.lines().collect();
    for (annotation, (expected_line, at)) in annotations.iter().zip([(7, "prun%e"), (16, "\"4255550100\"")]) {
        assert_eq!(annotation.level, "error");
        assert_eq!(
            annotation.properties["file"], name,
            "relative to the workspace, unescaped"
        );
        assert!(annotation.properties["title"].starts_with("telform TF"));
        let line: u32 = annotation.properties["line"].parse().expect("number");
        let col: usize = annotation.properties["col"].parse().expect("number");
        assert_eq!(line, expected_line, "{annotation:?}");
        let source: String = lines[line as usize - 1].chars().skip(col - 1).collect();
        assert!(source.starts_with(at), "col {col} points at {source:?}, not {at:?}");
        assert!(annotation.message.contains("\nhint: "), "{:?}", annotation.message);
    }
    assert!(
        annotations[0].message.contains("`prun%e`"),
        "{:?}",
        annotations[0].message
    );
}

/// The emulator with the partner's reference data only, on its own runtime.
fn start_greenfield() -> (tokio::runtime::Runtime, emulator::Emulator, Vec<(String, String)>) {
    let mut seed = seed::demo();
    seed.acg.accounts.clear();
    seed.acg.numbers.clear();
    seed.webex.customers.clear();
    seed.webex.locations.clear();
    seed.webex.subscribers.clear();
    seed.webex.workspaces.clear();
    seed.webex.devices.clear();
    crate::emulator_on_runtime(seed, "")
}

/// The footer the action adds to the comment (commit, run link, artifact name), generously.
const FOOTER_ROOM: usize = 400;

/// GitHub refuses a comment over 65,536 characters. 3,000 new accounts with 2 numbers each
/// (9,000 actions, none collapsible into a range) are far over it in full.
#[test]
fn the_markdown_of_a_huge_plan_fits_in_one_comment() {
    let (_runtime, _emulator, env) = start_greenfield();
    let dir = tempfile::tempdir().expect("temp dir");
    let accounts = 3_000;
    for file in 0..30 {
        let mut text = String::new();
        for i in file * 100..(file + 1) * 100 {
            text.push_str(&format!(
                "apiVersion: telform/v1\nkind: Account\nmetadata: {{name: customer-{i:04}}}\nspec:\n  correlationId: CRM-{i:04}\n  services:\n    directRouting: {{enabled: true, sync: true}}\n---\n\
                 apiVersion: telform/v1\nkind: NumberSet\nmetadata: {{name: customer-{i:04}-dr}}\nspec:\n  account: customer-{i:04}\n  service: directRouting\n  defaults: {{customSipHeader: customer-{i:04}}}\n  numbers:\n    - number: \"+1206{:07}\"\n    - number: \"+1206{:07}\"\n---\n",
                i * 10,
                i * 10 + 5
            ));
        }
        std::fs::write(dir.path().join(format!("accounts-{file:02}.yaml")), text).expect("written");
    }
    let mut command = assert_cmd::Command::cargo_bin("telform").expect("binary");
    command.current_dir(dir.path()).env("NO_COLOR", "1").args([
        "plan",
        ".",
        "--output",
        "markdown",
        "--detailed-exitcode",
    ]);
    for (key, value) in &env {
        command.env(key, value);
    }
    let output = command.output().expect("runs");
    let markdown = stdout(&output);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}\n{}",
        &markdown[..markdown.len().min(2_000)],
        String::from_utf8_lossy(&output.stderr)
    );
    let chars = markdown.chars().count();
    assert!(chars + FOOTER_ROOM <= 65_536, "{chars} characters");
    assert!(
        markdown.starts_with("<!-- telform-plan -->\n"),
        "the action finds its comment by it"
    );
    assert!(
        markdown.contains(&format!("Plan: {} to add, 0 to change, 0 to delete.", accounts * 3)),
        "the summary counts every action, not only those shown:\n{}",
        &markdown[..markdown.len().min(2_000)]
    );
    assert!(markdown.contains("truncated"), "a shortened plan says so");
    assert!(markdown.contains("customer-0000"), "the first groups are still shown");
}

fn read(dir: &Path, path: &str) -> String {
    std::fs::read_to_string(dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn init_writes_a_starter_that_validates() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("manifests");
    let output = telform(temp.path(), &["init", "manifests"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout(&output).contains("telform validate manifests"),
        "{}",
        stdout(&output)
    );

    let validated = telform(&dir, &["validate", "."]);
    assert_eq!(validated.status.code(), Some(0), "{}", stdout(&validated));
    // One file per kind, each holding that kind.
    let mut kinds = Vec::new();
    for path in ["acg", "webex"].iter().flat_map(|f| {
        std::fs::read_dir(dir.join(f))
            .expect("folder")
            .map(|e| e.expect("entry").path())
            .collect::<Vec<PathBuf>>()
    }) {
        let text = std::fs::read_to_string(&path).expect("readable");
        let found: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("kind: ")).collect();
        assert_eq!(found.len(), 1, "{}: {found:?}", path.display());
        kinds.push(found[0].to_string());
        assert!(text.starts_with("# yaml-language-server: $schema=../schemas/document.json\n"));
    }
    kinds.sort();
    let mut all: Vec<String> = telform::manifest::Kind::ALL.iter().map(|k| k.to_string()).collect();
    all.sort();
    assert_eq!(kinds, all);
    // The workflow is the documented one, byte for byte; the schemas are the current ones.
    assert_eq!(
        read(&dir, ".github/workflows/telform.yml"),
        read(&root(), EXAMPLE_WORKFLOW)
    );
    let schemas = telform(&dir, &["schema", "--check", "schemas"]);
    assert_eq!(
        schemas.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&schemas.stderr)
    );
    // The settings name secrets and never hold one.
    let settings = read(&dir, "telform.yaml");
    assert!(!settings.contains("clientSecret: \"") && settings.contains("apiVersion: telform/v1"));
}

#[test]
fn init_refuses_to_overwrite_and_writes_nothing() {
    let temp = tempfile::tempdir().expect("temp dir");
    assert_eq!(telform(temp.path(), &["init", "a"]).status.code(), Some(0));
    let before = read(&temp.path().join("a"), "acg/account.yaml");
    std::fs::write(temp.path().join("a/acg/account.yaml"), "# mine\n").expect("written");
    let again = telform(temp.path(), &["init", "a"]);
    assert_eq!(again.status.code(), Some(1));
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(
        err.contains("a/acg/account.yaml") && err.contains("nothing was written") && err.contains("hint:"),
        "{err}"
    );
    assert_eq!(
        read(&temp.path().join("a"), "acg/account.yaml"),
        "# mine\n",
        "left as it was"
    );
    assert_ne!(before, "# mine\n");

    // One file in the way is enough, and nothing else appears.
    let b = temp.path().join("b");
    std::fs::create_dir(&b).expect("created");
    std::fs::write(b.join("telform.yaml"), "apiVersion: telform/v1\n").expect("written");
    let refused = telform(temp.path(), &["init", "b"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("b/telform.yaml"));
    assert_eq!(
        std::fs::read_dir(&b).expect("folder").count(),
        1,
        "nothing else was written"
    );

    // A file where the folder should be.
    std::fs::write(temp.path().join("c"), "").expect("written");
    let not_a_folder = telform(temp.path(), &["init", "c"]);
    assert_eq!(not_a_folder.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&not_a_folder.stderr).contains("not a folder"));
}

#[test]
fn init_help_has_an_example() {
    let help = telform(&root(), &["init", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(
        stdout(&help).contains("Examples:\n  telform init "),
        "{}",
        stdout(&help)
    );
}

#[test]
fn init_says_what_it_wrote_as_json() {
    let temp = tempfile::tempdir().expect("temp dir");
    let output = telform(temp.path(), &["init", "--output", "json", "starter"]);
    assert_eq!(output.status.code(), Some(0));
    let found: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("one JSON object");
    assert_eq!(found["dir"], "starter");
    let written = found["written"].as_array().expect("written");
    assert!(written.len() > 5, "{found}");
    for file in written {
        assert!(temp.path().join(file.as_str().expect("path")).is_file(), "{file}");
    }
}
