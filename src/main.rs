use std::process::ExitCode;

use clap::Parser;

// Reading a large repository is allocation-bound: a million numbers are millions of short
// strings and small maps, built and dropped on every worker thread at once. glibc's allocator
// spent 40% of `validate`'s samples on them, jemalloc's own code 7% (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read by it at start-up: one arena per CPU rather than four, and freed
/// pages handed back to the system after 200 ms, so that the peak memory stays that of glibc's
/// (docs/benchmarks.md has the figures of the alternatives).
#[unsafe(export_name = "_rjem_malloc_conf")]
static JEMALLOC_OPTIONS: JemallocOptions =
    JemallocOptions(c"percpu_arena:percpu,dirty_decay_ms:200,muzzy_decay_ms:0".as_ptr());

#[repr(transparent)]
struct JemallocOptions(*const std::ffi::c_char);

// SAFETY: a pointer to a constant string, never written; jemalloc only reads it.
unsafe impl Sync for JemallocOptions {}

fn main() -> ExitCode {
    let cli = match telform::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // `--help` and `--version` are answers, not errors.
            let asked = !error.use_stderr();
            let _ = error.print();
            // A usage error is an error like any other: 1, as in Terraform. clap's 2 is what
            // `plan --detailed-exitcode` uses for "changes", and CI would read it as such.
            return if asked { ExitCode::SUCCESS } else { ExitCode::FAILURE };
        }
    };
    telform::cli::run(cli).into()
}
