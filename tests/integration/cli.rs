//! The commands as a user runs them.

use serde_json::Value;

use crate::{root, stdout, telform};

#[test]
fn examples_validate() {
    let output = telform(&root(), &["validate", "examples/"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).starts_with("ok: "), "{}", stdout(&output));
}

#[test]
fn committed_schemas_match_the_code() {
    let output = telform(&root(), &["schema", "--check", "schemas/"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn schema_check_fails_on_drift_and_write_repairs_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let schemas = dir.path().join("schemas");
    assert_eq!(
        telform(dir.path(), &["schema", "--write", "schemas"]).status.code(),
        Some(0)
    );
    assert_eq!(
        telform(dir.path(), &["schema", "--check", "schemas"]).status.code(),
        Some(0)
    );
    std::fs::write(schemas.join("account.json"), "{}\n").expect("written");
    std::fs::write(schemas.join("old.json"), "{}\n").expect("written");
    let drift = telform(dir.path(), &["schema", "--check", "schemas"]);
    assert_eq!(drift.status.code(), Some(1));
    let err = String::from_utf8_lossy(&drift.stderr);
    assert!(
        err.contains("account.json differs") && err.contains("old.json") && err.contains("schema --write"),
        "{err}"
    );
}

/// Every example file carries a modeline pointing at a schema that exists, so editors
/// validate as you type.
#[test]
fn examples_carry_a_schema_modeline() {
    let mut stack = vec![root().join("examples")];
    let mut seen = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                let text = std::fs::read_to_string(&path).expect("readable");
                let first = text.lines().next().unwrap_or_default();
                let target = first
                    .strip_prefix("# yaml-language-server: $schema=")
                    .unwrap_or_else(|| panic!("{} has no schema modeline", path.display()));
                assert!(
                    path.parent().expect("parent").join(target).is_file(),
                    "{}: {target} does not exist",
                    path.display()
                );
                seen += 1;
            }
        }
    }
    assert!(seen > 5);
}

/// Each example document is also valid against the committed JSON Schema as an editor
/// would apply it (`document.json`), so the two layers agree.
#[test]
fn examples_pass_the_committed_document_schema() {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("schemas/document.json")).expect("schema"))
            .expect("json");
    let validator = jsonschema::draft202012::new(&schema).expect("compiles");
    let validated = telform::validate::validate(&[root().join("examples")]);
    assert!(validated.is_valid());
    let loaded = telform::manifest::load::load(&[root().join("examples")]);
    assert!(loaded.docs.len() > 10);
    for doc in &loaded.docs {
        let errors: Vec<String> = validator.iter_errors(&doc.value).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{:?}: {errors:?}", doc.origin);
    }
}

#[test]
fn json_output_is_an_array_of_located_diagnostics() {
    let output = telform(
        &root().join("tests/bad"),
        &["validate", "--output", "json", "tf101-many-errors.yaml"],
    );
    assert_eq!(output.status.code(), Some(1));
    let found: Vec<Value> = serde_json::from_str(&stdout(&output)).expect("a JSON array");
    assert!(found.len() >= 3, "all errors are reported, not the first: {found:?}");
    for d in found {
        for field in ["code", "severity", "message", "file", "line", "column", "hint"] {
            assert!(d.get(field).is_some(), "{field} missing in {d}");
        }
    }
}

/// The format of GitHub's workflow commands: `::error file=F,line=L,col=C,...::message`, with
/// `%`, CR and LF escaped in the message and `:` and `,` also escaped in properties.
#[test]
fn github_output_is_workflow_commands() {
    let output = telform(
        &root().join("tests/bad"),
        &["validate", "--output", "github", "tf101-many-errors.yaml"],
    );
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(!text.is_empty());
    for line in text.lines() {
        let rest = line
            .strip_prefix("::error ")
            .unwrap_or_else(|| panic!("not a workflow command: {line}"));
        let (properties, message) = rest
            .split_once("::")
            .unwrap_or_else(|| panic!("no message separator: {line}"));
        assert!(!message.is_empty() && !message.contains('\n'));
        let keys: Vec<&str> = properties
            .split(',')
            .map(|p| p.split_once('=').expect("key=value").0)
            .collect();
        assert_eq!(&keys[..3], ["file", "line", "col"], "{line}");
        for key in keys {
            assert!(
                ["file", "line", "col", "endLine", "endColumn", "title"].contains(&key),
                "{key}"
            );
        }
    }
}

/// The text output with colour forced on (`CLICOLOR_FORCE`, as the output is a pipe here) and
/// `NO_COLOR` as given; the shared helper always sets `NO_COLOR`.
fn text_output(no_color: Option<&str>) -> String {
    let mut command = assert_cmd::Command::cargo_bin("telform").expect("the telform binary is built");
    command
        .current_dir(root().join("tests/bad"))
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .args(["validate", "tf101-many-errors.yaml"]);
    if let Some(value) = no_color {
        command.env("NO_COLOR", value);
    }
    stdout(&command.output().expect("telform runs"))
}

#[test]
fn text_output_honours_no_color() {
    // Without this half, the test would pass with colours never shown at all.
    assert!(text_output(None).contains('\u{1b}'), "no colour when forced");
    assert!(!text_output(Some("1")).contains('\u{1b}'), "colour despite NO_COLOR");
}

#[test]
fn a_closed_pipe_is_not_a_crash() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("telform"))
        .current_dir(root())
        .args(["validate", "--output", "json", "tests/bad"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawned");
    let mut first = [0u8; 1];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut first)
        .expect("some output");
    let status = child.wait().expect("exits");
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("stderr");
    assert!(!err.contains("panicked"), "{err}");
    assert!(status.code().is_some(), "killed by a signal: {status:?}");
}

/// The reference of diagnostic codes lists every code with its meaning.
#[test]
fn every_code_is_documented() {
    let doc = std::fs::read_to_string(root().join("docs/diagnostics.md")).expect("docs/diagnostics.md");
    for code in telform::diag::codes::ALL {
        let row = format!("| `{}` | {} |", code.id, code.title);
        assert!(doc.contains(&row), "docs/diagnostics.md lacks the row {row}");
    }
}

/// README's first command: it validates, starts the emulator, plans, applies and plans again,
/// on this machine only, and shows no password.
#[test]
fn the_demo_runs_the_whole_cycle_against_the_embedded_emulator() {
    let output = assert_cmd::Command::cargo_bin("telform")
        .expect("binary")
        .current_dir(root())
        .env("NO_COLOR", "1")
        // A real endpoint in the shell must not be used by the demo.
        .env("TELFORM_ACG_URL", "https://provapi.invalid")
        .env("TELFORM_WEBEX_URL", "https://webex.invalid/v1")
        .arg("demo")
        .output()
        .expect("runs");
    let text = stdout(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        text.contains("ok: ") && text.contains("listening on http://127.0.0.1:"),
        "{text}"
    );
    assert!(text.contains("Plan: ") && text.contains(" to add"), "{text}");
    assert!(text.contains("Apply complete! Resources: "), "{text}");
    let after_apply = &text[text.find("==> 5/5").expect("the last step")..];
    assert!(
        after_apply.contains("No changes. Live state matches the manifests."),
        "{after_apply}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("API calls: ACG"), "--stats goes to stderr");
    // The throwaway passwords the demo stands in are never shown.
    for shown in [&text[..], &stderr[..]] {
        assert!(!shown.contains("Demo-"), "a password was shown: {shown}");
    }
}

/// A usage error exits 1 like every other error: 2 is what `plan --detailed-exitcode` says for
/// "changes", and CI reads it as such.
#[test]
fn a_usage_error_exits_1_not_the_changes_status() {
    for args in [
        &["plan", "examples/", "--detailed-exitcode", "--max-deletes=ten"][..],
        &["no-such-command"],
        &["apply", "--no-such-flag"],
    ] {
        let output = telform(&root(), args);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!output.stderr.is_empty(), "{args:?}: the error is said");
    }
    for args in [&["--help"][..], &["plan", "--help"], &["--version"]] {
        let output = telform(&root(), args);
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        assert!(!output.stdout.is_empty(), "{args:?}");
    }
}

/// `-o` takes a file: the habits that would save the plan to a file named `json` or
/// `ut=plan.json` are refused with the right spelling, and nothing is written.
#[test]
fn plan_out_refuses_a_format_name_and_terraform_s_out_flag() {
    let temp = tempfile::tempdir().expect("temp dir");
    let examples = root().join("examples");
    let examples = examples.to_str().expect("utf-8 path");
    for (args, said) in [
        (vec!["plan", examples, "-o", "json"], "--output json"),
        (vec!["plan", examples, "-o", "markdown"], "--output markdown"),
        (vec!["plan", examples, "-out=plan.json"], "`-o plan.json`"),
    ] {
        let output = telform(temp.path(), &args);
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(said), "{args:?}: {err}");
        let left: Vec<_> = std::fs::read_dir(temp.path()).expect("dir").collect();
        assert!(left.is_empty(), "{args:?}: a file was written");
    }
}

/// Nothing read is said as such: no "0 documents read", no `:1:1` for a path that does not exist.
#[test]
fn an_empty_folder_and_a_missing_path_are_reported_plainly() {
    let temp = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(temp.path().join("empty")).expect("folder");
    let empty = telform(temp.path(), &["validate", "empty"]);
    let text = stdout(&empty);
    assert_eq!(empty.status.code(), Some(1), "{text}");
    assert!(text.contains("TF010"), "{text}");
    assert!(text.ends_with("error: 1 problem, no manifest read\n"), "{text}");
    let missing = telform(temp.path(), &["validate", "nonexistent"]);
    let text = stdout(&missing);
    assert!(text.contains("--> nonexistent\n"), "{text}");
    assert!(!text.contains("nonexistent:1:1"), "{text}");
    let json = telform(temp.path(), &["validate", "--output", "json", "nonexistent"]);
    let found: Value = serde_json::from_str(&stdout(&json)).expect("JSON");
    assert_eq!(found[0]["file"], "nonexistent");
    assert_eq!(found[0].get("line"), None, "{found}");
}

#[test]
fn version_names_the_build() {
    let text = telform(&root(), &["version"]);
    assert_eq!(text.status.code(), Some(0));
    let line = stdout(&text);
    assert!(
        line.starts_with(&format!("telform {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{line}"
    );
    let json = telform(&root(), &["version", "--output", "json"]);
    let found: Value = serde_json::from_str(&stdout(&json)).expect("JSON");
    assert_eq!(found["version"], env!("CARGO_PKG_VERSION"));
    let commit = found["commit"].as_str().expect("commit");
    assert!(
        commit == "unknown" || commit.chars().take(12).all(|c| c.is_ascii_hexdigit()),
        "{commit}"
    );
    assert!(line.contains(commit), "{line}");
}

/// README's commands table and clap agree: every command is in the table, and every row is a
/// command.
#[test]
fn the_readme_commands_table_matches_the_cli() {
    use clap::CommandFactory;
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let rows: Vec<String> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("| `telform "))
        .filter_map(|rest| rest.split([' ', '`']).next())
        .map(str::to_string)
        .collect();
    let commands: Vec<String> = telform::cli::Cli::command()
        .get_subcommands()
        .filter(|c| !c.is_hide_set() && c.get_name() != "help")
        .map(|c| c.get_name().to_string())
        .collect();
    for command in &commands {
        assert!(
            rows.contains(command),
            "README's commands table lacks `telform {command}`"
        );
    }
    for row in &rows {
        assert!(
            commands.contains(row),
            "README's commands table names `telform {row}`, which is not a command"
        );
    }
}

/// `telform demo` works from any folder (after `cargo install` there is no examples/ beside
/// it), and on the folder `telform init` writes.
#[test]
fn the_demo_runs_from_any_folder_and_on_the_starter() {
    let mut built_in: Vec<String> = telform::cli::demo::BUILT_IN_EXAMPLES
        .iter()
        .map(|(name, text)| {
            let on_disk = std::fs::read_to_string(root().join("examples").join(name)).expect("an example");
            assert_eq!(&on_disk, text, "{name} differs from examples/");
            name.to_string()
        })
        .collect();
    built_in.sort();
    let mut on_disk = Vec::new();
    let mut stack = vec![root().join("examples")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("examples") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                let name = path.strip_prefix(root().join("examples")).expect("below");
                on_disk.push(name.to_string_lossy().into_owned());
            }
        }
    }
    on_disk.sort();
    assert_eq!(built_in, on_disk, "the built-in examples are examples/'s manifests");

    let temp = tempfile::tempdir().expect("temp dir");
    let anywhere = telform(temp.path(), &["demo"]);
    let text = stdout(&anywhere);
    assert_eq!(
        anywhere.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&anywhere.stderr)
    );
    assert!(text.contains("using the examples built into telform"), "{text}");
    assert!(text.contains("No changes."), "{text}");

    assert_eq!(telform(temp.path(), &["init", "starter"]).status.code(), Some(0));
    let starter = telform(temp.path(), &["demo", "starter"]);
    let text = stdout(&starter);
    assert_eq!(
        starter.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&starter.stderr)
    );
    assert!(text.contains("No changes."), "{text}");
}

/// Every missing setting is said in one run, and an unreachable token endpoint says why and
/// names the setting that leads there.
#[test]
fn configuration_errors_come_all_at_once_and_name_their_cause() {
    let run = |env: &[(&str, &str)]| {
        let mut cmd = assert_cmd::Command::cargo_bin("telform").expect("binary");
        cmd.current_dir(root())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("NO_COLOR", "1")
            .args(["plan", "examples/"]);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("runs")
    };
    let nothing = run(&[]);
    let err = String::from_utf8_lossy(&nothing.stderr).into_owned();
    assert_eq!(nothing.status.code(), Some(1), "{err}");
    for var in [
        "TELFORM_ACG_URL",
        "TELFORM_ACG_TENANT",
        "TELFORM_ACG_CLIENT_ID",
        "TELFORM_ACG_CLIENT_SECRET",
        "TELFORM_WEBEX_TOKEN",
    ] {
        assert!(err.contains(var), "{var} is not named: {err}");
    }
    // Port 9 (discard) on loopback: nothing listens there.
    let unreachable = run(&[
        ("TELFORM_ACG_URL", "http://127.0.0.1:9/acg"),
        ("TELFORM_ACG_TOKEN_URL", "http://127.0.0.1:9/token"),
        ("TELFORM_ACG_CLIENT_ID", "id"),
        ("TELFORM_ACG_CLIENT_SECRET", "secret-value-not-shown"),
        ("TELFORM_WEBEX_URL", "http://127.0.0.1:9/webex"),
        ("TELFORM_WEBEX_TOKEN", "token-value-not-shown"),
    ]);
    let err = String::from_utf8_lossy(&unreachable.stderr).into_owned();
    assert_eq!(unreachable.status.code(), Some(1), "{err}");
    assert!(
        err.contains("Connection refused") || err.contains("connection refused"),
        "the cause is hidden: {err}"
    );
    assert!(err.contains("TELFORM_ACG_TOKEN_URL"), "{err}");
    assert!(
        !err.contains("secret-value-not-shown") && !err.contains("token-value-not-shown"),
        "{err}"
    );
}

/// On a terminal, the reads of live state show a spinner: at real latencies they take seconds.
/// `script` (util-linux) gives telform a pseudo-terminal.
#[test]
fn a_terminal_sees_the_read_phase() {
    let (_runtime, _emulator, env) = crate::emulator_on_runtime(telform::emulator::seed::demo(), "latency=300ms");
    let command = format!(
        "{} plan {} > /dev/null",
        env!("CARGO_BIN_EXE_telform"),
        root().join("examples/acg").display()
    );
    let mut script = std::process::Command::new("script");
    script.args(["-qec", &command, "/dev/null"]);
    for (k, v) in &env {
        script.env(k, v);
    }
    let output = script.output().expect("`script` (util-linux) runs");
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{shown}");
    assert!(shown.contains("reading the live state"), "{shown}");
}

/// The caret of a quoted value stops at its closing quote, not at the end of a trailing
/// comment; a field's description in a hint is whole, not cut at a line break.
#[test]
fn a_quoted_value_is_underlined_alone_and_hints_quote_whole_descriptions() {
    let temp = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        temp.path().join("a.yaml"),
        "apiVersion: telform/v1\nkind: Account\nmetadata: {name: x}\nspec:\n  teamsTenantId: \"not-a-guid\"   # a comment\n  services:\n    directRouting: {enabled: true}\n",
    )
    .expect("written");
    let json = telform(temp.path(), &["validate", "--output", "json", "a.yaml"]);
    let found: Value = serde_json::from_str(&stdout(&json)).expect("JSON");
    assert_eq!(found[0]["column"], 18, "{found}");
    assert_eq!(found[0]["endColumn"], 30, "{found}");
    let text = stdout(&telform(temp.path(), &["validate", "a.yaml"]));
    assert!(text.contains("|                  ^^^^^^^^^^^^\n"), "{text}");
    assert!(
        text.contains("Required when Operator Connect or Teams Phone Mobile is enabled"),
        "{text}"
    );
}

/// A file is validated in the context of its repository: its references resolve to the other
/// files', and only its own problems are reported (editors, pre-commit hooks).
#[test]
fn a_file_is_validated_in_the_context_of_its_repository() {
    let temp = tempfile::tempdir().expect("temp dir");
    let copied = std::process::Command::new("cp")
        .arg("-r")
        .arg(root().join("examples"))
        .arg(temp.path().join("repo"))
        .status()
        .expect("cp");
    assert!(copied.success());
    let users = "repo/webex/acme/users.yaml";
    let alone = telform(temp.path(), &["validate", users]);
    assert_eq!(alone.status.code(), Some(0), "{}", stdout(&alone));
    assert!(stdout(&alone).contains("in the context of the"), "{}", stdout(&alone));
    // A problem in another file is not this file's.
    std::fs::write(
        temp.path().join("repo/acg/broken.yaml"),
        "apiVersion: telform/v1\nkind: Account\nmetadata: {name: broken}\nspec: {nope: 1}\n",
    )
    .expect("written");
    let still = telform(temp.path(), &["validate", users]);
    assert_eq!(still.status.code(), Some(0), "{}", stdout(&still));
    // Its own problem is.
    let text = std::fs::read_to_string(temp.path().join(users)).expect("users");
    std::fs::write(
        temp.path().join(users),
        text.replacen("  firstName:", "  firstNmae:", 1),
    )
    .expect("written");
    let own = telform(temp.path(), &["validate", "--output", "json", users]);
    assert_eq!(own.status.code(), Some(1), "{}", stdout(&own));
    let found: Vec<Value> = serde_json::from_str(&stdout(&own)).expect("JSON");
    assert!(!found.is_empty());
    assert!(found.iter().all(|d| d["file"] == users), "{found:?}");
}
