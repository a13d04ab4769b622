//! `telform fmt [PATH…] [--check]`

use std::path::{Path, PathBuf};

use super::{ExitStatus, FmtArgs, print_err, print_out};
use crate::diag::codes;
use crate::diag::diagnostic::{Diagnostic, Severity};
use crate::fmt::{self, FileKind};
use crate::manifest::FileId;
use crate::manifest::settings::SETTINGS_FILE_NAMES;
use crate::validate::{self, report};

pub fn run(args: FmtArgs) -> ExitStatus {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths
    };
    // fmt relies on what validation guarantees (known keys, well-formed numbers, no
    // overlapping ranges), so it formats valid manifests only. A reference to an object
    // declared elsewhere is not its concern: formatting one file of a repository (an editor,
    // a pre-commit hook) must not need the whole repository.
    let validated = validate::validate(&paths);
    let blocking: Vec<Diagnostic> = validated
        .diagnostics
        .iter()
        .filter(|d| d.severity >= Severity::Error && d.code != codes::DANGLING_REFERENCE)
        .cloned()
        .collect();
    let json = args.output == super::TextOrJson::Json;
    if !blocking.is_empty() {
        let located = report::locate(&blocking, &validated.sources);
        if json {
            print_out(&(report::render_json(&located) + "\n"));
        } else {
            print_out(&report::render_text(&located, true));
        }
        print_err(&format!(
            "error: fmt only rewrites valid manifests, and {} found; nothing was changed\n\
             hint: fix the problems above (`telform validate` shows the same), then run `telform fmt` again\n",
            plural(blocking.len(), "problem was", "problems were")
        ));
        return ExitStatus::Failure;
    }

    let mut unformatted = Vec::new();
    let mut refused = 0;
    let files = validated.sources.len();
    for id in (0..files as u32).map(FileId) {
        let path = validated.sources.path(id);
        let shown = validated.sources.display(id);
        let text = match validated.sources.read(id).map(String::from_utf8) {
            Some(Ok(text)) => text,
            _ => {
                print_err(&format!(
                    "error: {shown}: cannot read it again (changed or removed since it was validated)\nhint: run `telform fmt` again\n"
                ));
                refused += 1;
                continue;
            }
        };
        let kind = if path
            .file_name()
            .is_some_and(|n| SETTINGS_FILE_NAMES.iter().any(|s| n == *s))
        {
            FileKind::Settings
        } else {
            FileKind::Manifests
        };
        let formatted = match fmt::format(&text, kind) {
            Ok(formatted) => formatted,
            Err(refusal) => {
                print_err(&format!(
                    "error: {shown}:{}:{}: {}; the file was left as it is\nhint: {}\n",
                    refusal.line, refusal.column, refusal.message, refusal.hint
                ));
                refused += 1;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        if args.check && json {
            // Listed in the JSON at the end.
        } else if args.check {
            let diff = similar::TextDiff::from_lines(&text, &formatted);
            print_out(&format!(
                "{}",
                diff.unified_diff()
                    .context_radius(3)
                    .header(&shown, &format!("{shown} (formatted)"))
            ));
        } else if let Err(error) = write_atomically(path, &formatted) {
            print_err(&format!(
                "error: {shown}: cannot write: {error}\nhint: check that the folder is writable, then run `telform fmt` again\n"
            ));
            refused += 1;
            continue;
        } else if !json {
            print_out(&format!("formatted {shown}\n"));
        }
        unformatted.push(shown);
    }
    if json {
        print_out(&format!(
            "{}\n",
            serde_json::json!({"files": files, "changed": unformatted, "refused": refused, "check": args.check})
        ));
    }

    let targets: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    if args.check && !unformatted.is_empty() {
        print_err(&format!(
            "error: {} of {} not formatted: {}\nhint: run `telform fmt {}` and commit the result\n",
            unformatted.len(),
            plural(files, "file is", "files are"),
            unformatted.join(", "),
            targets.join(" ")
        ));
        return ExitStatus::Failure;
    }
    if refused > 0 {
        return ExitStatus::Failure;
    }
    if !json && (args.check || unformatted.is_empty()) {
        print_out(&format!("ok: {} formatted\n", plural(files, "file is", "files are")));
    }
    ExitStatus::Success
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Replaces `path` by a rename, so that an interrupted run never leaves half a manifest; the
/// file keeps its permissions.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)?.permissions().mode() & 0o7777
    };
    #[cfg(not(unix))]
    let mode = 0o644;
    crate::manifest::confined::replace_file(path, text.as_bytes(), mode)
}
