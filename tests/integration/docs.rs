//! The generated documentation (docs/cli.md, docs/reference/), shell completions and the
//! examples in every command's help.
//!
//! When a command, a manifest field or a rule changes, `docs_match_the_code` fails; regenerate
//! with `TELFORM_UPDATE_DOCS=1 cargo test --test integration docs` (or
//! `cargo run -- docs --write docs`) and commit the result.

use clap::CommandFactory;

use crate::{root, stdout, telform};

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Every visible command and subcommand, as its path (`show consents`).
fn commands() -> Vec<(String, clap::Command)> {
    fn walk(prefix: &str, command: &clap::Command, out: &mut Vec<(String, clap::Command)>) {
        for sub in command.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            let path = format!("{prefix}{}", sub.get_name()).trim().to_string();
            out.push((path.clone(), sub.clone()));
            walk(&format!("{path} "), sub, out);
        }
    }
    let mut out = Vec::new();
    walk("", &telform::cli::Cli::command(), &mut out);
    out
}

#[test]
fn docs_match_the_code() {
    if std::env::var_os("TELFORM_UPDATE_DOCS").is_some_and(|v| v == "1") {
        let written = telform(&root(), &["docs", "--write", "docs"]);
        assert_eq!(written.status.code(), Some(0), "{}", stderr(&written));
    }
    let output = telform(&root(), &["docs", "--check", "docs"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "docs/ drifted from the code; regenerate with `TELFORM_UPDATE_DOCS=1 cargo test --test integration docs`\n{}",
        stderr(&output)
    );
}

#[test]
fn docs_check_fails_on_drift_and_write_repairs_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let examples = root().join("examples");
    let examples = examples.to_str().expect("UTF-8 path");
    let run = |args: &[&str]| telform(dir.path(), &[args, &["--examples", examples]].concat());
    assert_eq!(run(&["docs", "--write", "docs"]).status.code(), Some(0));
    assert_eq!(run(&["docs", "--check", "docs"]).status.code(), Some(0));
    let cli = dir.path().join("docs/cli.md");
    let text = std::fs::read_to_string(&cli).expect("cli.md written");
    std::fs::write(&cli, text.replace("## `telform fmt`", "## `telform format`")).expect("written");
    std::fs::write(dir.path().join("docs/reference/old-kind.md"), "# Old\n").expect("written");
    let drift = run(&["docs", "--check", "docs"]);
    assert_eq!(drift.status.code(), Some(1));
    let err = stderr(&drift);
    assert!(
        err.contains("cli.md differs")
            && err.contains("-## `telform format`")
            && err.contains("old-kind.md is not generated")
            && err.contains("hint: regenerate it with")
            && err.contains("TELFORM_UPDATE_DOCS=1"),
        "{err}"
    );
    assert_eq!(run(&["docs", "--write", "docs"]).status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&cli).expect("cli.md"), text);
}

/// The CLI reference names every visible command and shows its example.
#[test]
fn cli_reference_covers_every_command() {
    let reference = std::fs::read_to_string(root().join("docs/cli.md")).expect("docs/cli.md is committed");
    for (path, command) in commands() {
        if command.is_hide_set() {
            assert!(
                !reference.contains(&format!("`telform {path}`")),
                "hidden {path} is documented"
            );
            continue;
        }
        assert!(
            reference.contains(&format!("`telform {path}`")),
            "docs/cli.md misses telform {path}"
        );
        for arg in command.get_arguments().filter(|a| !a.is_hide_set()) {
            if let Some(long) = arg.get_long().filter(|l| *l != "help") {
                assert!(
                    reference.contains(&format!("--{long}")),
                    "docs/cli.md misses {path} --{long}"
                );
            }
        }
    }
}

/// One reference page per kind, each with its fields, its rules and an example, and an index
/// linking them.
#[test]
fn a_reference_page_per_kind() {
    let dir = root().join("docs/reference");
    let index = std::fs::read_to_string(dir.join("README.md")).expect("docs/reference/README.md");
    for kind in telform::manifest::Kind::ALL {
        let name = kind.schema_file().replace(".json", ".md");
        let page = std::fs::read_to_string(dir.join(&name)).unwrap_or_else(|_| panic!("docs/reference/{name}"));
        assert!(index.contains(&format!("]({name})")), "the index does not link {name}");
        assert!(page.starts_with(&format!("# {}\n", kind.as_str())), "{name}");
        assert!(
            page.contains("| `metadata.name` |") && page.contains("| `spec."),
            "{name}: no field table"
        );
        assert!(
            page.contains(&format!("kind: {}\n", kind.as_str())),
            "{name}: no example"
        );
        assert!(page.contains("| `TF1"), "{name}: no rule");
    }
    let number_set = std::fs::read_to_string(dir.join("number-set.md")).expect("number-set.md");
    assert!(
        number_set.contains("| `spec.ranges[].from` | string | yes |"),
        "{number_set}"
    );
    assert!(number_set.contains("| `TF106` |"), "{number_set}");
    assert!(
        !number_set.contains("| `TF150` |"),
        "a Customer rule on the NumberSet page"
    );
}

/// Task: every command's `--help` shows an example. Commands added later are caught here.
#[test]
fn every_command_help_has_an_example() {
    let mut root = telform::cli::Cli::command();
    root.build();
    let mut checked = 0;
    fn walk(command: &mut clap::Command, path: &str, checked: &mut usize) {
        let help = command.render_long_help().to_string();
        assert!(
            help.contains("Example"),
            "`{path} --help` shows no example: add `after_help = \"Example:\\n  {path} …\"` to its #[command]"
        );
        *checked += 1;
        for sub in command.get_subcommands_mut() {
            if sub.get_name() != "help" {
                let path = format!("{path} {}", sub.get_name());
                walk(sub, &path, checked);
            }
        }
    }
    walk(&mut root, "telform", &mut checked);
    assert!(checked > 10, "only {checked} commands");
    // The real binary shows it too.
    let output = telform(&crate::root(), &["fmt", "--help"]);
    assert!(
        stdout(&output).contains("Examples:\n  telform fmt examples/"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn completions_name_every_command() {
    let visible: Vec<String> = commands()
        .into_iter()
        .filter(|(path, c)| !c.is_hide_set() && !path.contains(' '))
        .map(|(path, _)| path)
        .collect();
    assert!(visible.iter().any(|c| c == "fmt") && visible.iter().any(|c| c == "validate"));
    for shell in ["bash", "zsh", "fish"] {
        let output = telform(&root(), &["completions", shell]);
        assert_eq!(output.status.code(), Some(0), "{shell}: {}", stderr(&output));
        let script = stdout(&output);
        for command in &visible {
            assert!(
                script.contains(command.as_str()),
                "{shell} completion misses `{command}`"
            );
        }
    }
    let bash = stdout(&telform(&root(), &["completions", "bash"]));
    assert!(bash.contains("complete -F") && bash.contains("telform"), "{bash}");
    let zsh = stdout(&telform(&root(), &["completions", "zsh"]));
    assert!(zsh.starts_with("#compdef telform"), "{zsh}");
    let fish = stdout(&telform(&root(), &["completions", "fish"]));
    assert!(fish.contains("complete -c telform"), "{fish}");
    // A usage error: 1, like every error (2 is plan's "changes").
    let unknown = telform(&root(), &["completions", "tcsh"]);
    assert_eq!(unknown.status.code(), Some(1));
}
