//! `telform validate`

use std::path::PathBuf;

use super::{DiagnosticFormat, ExitStatus, OperatorSettings, ValidateArgs, print_out};
use crate::manifest::settings::SecretPolicy;
use crate::validate::{self, report};

pub fn run(args: ValidateArgs, operator: &OperatorSettings) -> ExitStatus {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths
    };
    let trusted = match operator.load(&paths[0]) {
        Ok(settings) => settings,
        Err(status) => return status,
    };
    let validated = validate::validate_with(&paths, &SecretPolicy::of(trusted.as_ref()));
    let located = report::locate(&validated.diagnostics, &validated.sources);
    match args.output {
        DiagnosticFormat::Text => {
            let mut text = report::render_text(&located, true);
            text.push_str(&summary(&validated, &located));
            print_out(&text);
        }
        DiagnosticFormat::Json => print_out(&(report::render_json(&located) + "\n")),
        DiagnosticFormat::Github => print_out(&report::render_github(&located)),
    }
    if validated.is_valid() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    }
}

fn summary(validated: &validate::Validated, located: &[report::Located]) -> String {
    let files = validated.sources.len();
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    if located.is_empty() {
        return format!(
            "ok: {} in {} valid\n",
            plural(validated.manifests.len(), "manifest"),
            plural(files, "file")
        );
    }
    let mut with_errors: Vec<&str> = located.iter().filter_map(|d| d.file.as_deref()).collect();
    with_errors.sort_unstable();
    with_errors.dedup();
    if validated.documents == 0 && located.iter().all(|d| matches!(d.code, "TF001" | "TF010")) {
        // Nothing was read at all (an empty folder, a path that does not exist).
        return format!("error: {}, no manifest read\n", plural(located.len(), "problem"));
    }
    format!(
        "error: {} in {} ({} read)\n",
        plural(located.len(), "problem"),
        plural(with_errors.len().max(1), "file"),
        plural(validated.documents, "document")
    )
}
