//! Progress of an apply: a bar per provider on a terminal, plain lines in CI logs.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::model::plan::ProviderName;

/// Plain lines are printed at most this often (plus every note).
const LINE_EVERY: Duration = Duration::from_secs(5);

enum Mode {
    Hidden,
    Lines,
    Bars(MultiProgress),
}

struct Counter {
    done: u64,
    total: u64,
    started: Instant,
    last_line: Instant,
    bar: Option<ProgressBar>,
}

pub struct Progress {
    mode: Mode,
    counters: Mutex<BTreeMap<ProviderName, Counter>>,
}

fn name(provider: ProviderName) -> &'static str {
    match provider {
        ProviderName::Acg => "ACG",
        ProviderName::Webex => "Webex",
    }
}

impl Progress {
    /// Prints a line that the bars do not draw over (from any task): a notice such as "stopping"
    /// would otherwise be wiped by their next redraw.
    pub fn printer(&self) -> impl Fn(&str) + Send + Sync + 'static {
        let multi = match &self.mode {
            Mode::Bars(multi) => Some(multi.clone()),
            _ => None,
        };
        move |text: &str| match &multi {
            Some(multi) => {
                let _ = multi.println(text.trim_matches('\n'));
            }
            None => eprint!("{text}"),
        }
    }

    /// Nothing shown (JSON output, tests).
    pub fn hidden() -> Progress {
        Progress {
            mode: Mode::Hidden,
            counters: Mutex::new(BTreeMap::new()),
        }
    }

    /// Bars on a terminal (`tty`), else lines on stderr. `totals`: actions per provider.
    pub fn new(tty: bool, totals: &[(ProviderName, usize)]) -> Progress {
        let now = Instant::now();
        let multi = tty.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        let mut counters = BTreeMap::new();
        for (provider, total) in totals.iter().filter(|(_, t)| *t > 0) {
            let bar = multi.as_ref().map(|m| {
                let bar = m.add(ProgressBar::new(*total as u64));
                bar.set_style(
                    ProgressStyle::with_template("{prefix:>6} [{bar:30}] {pos}/{len} {rate} {wide_msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        // indicatif's own `{per_sec}` shows four decimals (`162.8949/s`).
                        .with_key(
                            "rate",
                            |state: &indicatif::ProgressState, out: &mut dyn std::fmt::Write| {
                                let _ = write!(out, "{}", rate(state.per_sec()));
                            },
                        )
                        .progress_chars("=> "),
                );
                bar.set_prefix(name(*provider));
                bar
            });
            counters.insert(
                *provider,
                Counter {
                    done: 0,
                    total: *total as u64,
                    started: now,
                    last_line: now,
                    bar,
                },
            );
        }
        Progress {
            mode: match multi {
                Some(m) => Mode::Bars(m),
                None => Mode::Lines,
            },
            counters: Mutex::new(counters),
        }
    }

    /// `n` more actions of `provider` finished (whatever their outcome).
    pub fn advance(&self, provider: ProviderName, n: u64) {
        let mut counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        let Some(c) = counters.get_mut(&provider) else { return };
        c.done += n;
        match (&self.mode, &c.bar) {
            (Mode::Bars(_), Some(bar)) => bar.set_position(c.done),
            (Mode::Lines, _) => {
                let now = Instant::now();
                if c.done == c.total || now.duration_since(c.last_line) >= LINE_EVERY {
                    c.last_line = now;
                    let secs = now.duration_since(c.started).as_secs_f64().max(0.001);
                    eprintln!(
                        "{}: {}/{} actions ({})",
                        name(provider),
                        c.done,
                        c.total,
                        rate(c.done as f64 / secs)
                    );
                }
            }
            _ => {}
        }
    }

    /// Something that takes a while (`what`, in state `status`, for `elapsed` so far). A bar
    /// keeps its message until the next one: it says no count of seconds that would freeze
    /// there while the counters move; a log line says how long so far.
    pub fn waiting(&self, provider: ProviderName, what: &str, status: &str, elapsed: Duration) {
        let counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        match (&self.mode, counters.get(&provider).and_then(|c| c.bar.as_ref())) {
            (Mode::Bars(_), Some(bar)) => bar.set_message(format!("waiting for {what} ({status})")),
            (Mode::Lines, _) | (Mode::Bars(_), None) => eprintln!(
                "{}: waiting for {what} ({status}, {} s so far)",
                name(provider),
                elapsed.as_secs()
            ),
            (Mode::Hidden, _) => {}
        }
    }

    /// Something the user waits for: a rate limit, a customer provisioning, a sync.
    pub fn note(&self, provider: ProviderName, message: &str) {
        let counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        match (&self.mode, counters.get(&provider).and_then(|c| c.bar.as_ref())) {
            (Mode::Bars(_), Some(bar)) => bar.set_message(message.to_string()),
            (Mode::Lines, _) | (Mode::Bars(_), None) => eprintln!("{}: {message}", name(provider)),
            (Mode::Hidden, _) => {}
        }
    }

    /// Clears the bars before the result table is printed.
    pub fn finish(&self) {
        let counters = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        for c in counters.values() {
            if let Some(bar) = &c.bar {
                bar.finish_and_clear();
            }
        }
    }
}

/// Actions per second, as people read them: `163/s`, `6.5/s`, `0.25/s`.
fn rate(per_sec: f64) -> String {
    if per_sec >= 100.0 {
        format!("{per_sec:.0}/s")
    } else if per_sec >= 1.0 {
        format!("{per_sec:.1}/s")
    } else {
        format!("{per_sec:.2}/s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_have_the_digits_people_read() {
        assert_eq!(rate(162.8949), "163/s");
        assert_eq!(rate(6.5123), "6.5/s");
        assert_eq!(rate(0.2512), "0.25/s");
    }

    /// A bar's message stays until the next one: a count of seconds in it would freeze there.
    #[test]
    fn a_bar_s_waiting_message_holds_no_count_that_would_freeze() {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::hidden());
        let bar = multi.add(ProgressBar::new(10));
        let now = Instant::now();
        let progress = Progress {
            mode: Mode::Bars(multi),
            counters: Mutex::new(BTreeMap::from([(
                ProviderName::Webex,
                Counter {
                    done: 0,
                    total: 10,
                    started: now,
                    last_line: now,
                    bar: Some(bar.clone()),
                },
            )])),
        };
        progress.waiting(
            ProviderName::Webex,
            "customer ACME-0001",
            "provisioning",
            Duration::from_secs(42),
        );
        assert_eq!(bar.message(), "waiting for customer ACME-0001 (provisioning)");
    }
}
