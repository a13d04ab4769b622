//! Fault injection (`--faults`), so that clients can be tested against a misbehaving provider.
//!
//! Syntax: comma-separated `key=value` items, e.g.
//! `seed=42,429=0.05,500=0.02,503=0.02,drop=0.01,lost=0.01,latency=5ms..50ms,acg-limit=100/min`.
//!
//! | key | value | effect |
//! |---|---|---|
//! | `seed` | integer | seed of the random draws, so a run can be replayed |
//! | `429` | probability 0–1 | answer 429 with `Retry-After` |
//! | `500`, `503` | probability | answer that status without doing anything |
//! | `drop` | probability | close the connection without a response, without doing anything |
//! | `lost` | probability | do the request (a write happens), then close the connection: "applied but response lost" |
//! | `latency` | `D` or `D1..D2` (`ms`, `s`) | add that delay (uniform in the range) to every request |
//! | `retry-after` | seconds | `Retry-After` of injected 429s (default 1) |
//! | `acg-limit` | `N/min` | ACG's limit: more than N requests in a sliding minute get 429 (a batch counts as one) |
//! | `only` | `acg` or `webex` | inject the random faults into one provider only |

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Faults {
    pub seed: u64,
    pub p429: f64,
    pub p500: f64,
    pub p503: f64,
    pub drop: f64,
    pub lost: f64,
    pub latency: Option<(Duration, Duration)>,
    pub retry_after_secs: u64,
    pub acg_limit_per_minute: Option<u32>,
    pub only: Option<String>,
}

/// What to do with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    Status(u16),
    Drop,
    Lost,
}

impl Faults {
    pub fn parse(spec: &str) -> Result<Faults, String> {
        let mut faults = Faults {
            retry_after_secs: 1,
            ..Faults::default()
        };
        for item in spec.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| format!("`{item}`: expected key=value (see docs/emulator.md)"))?;
            let probability = |v: &str| -> Result<f64, String> {
                let p: f64 = v.parse().map_err(|_| format!("`{item}`: `{v}` is not a probability"))?;
                if (0.0..=1.0).contains(&p) {
                    Ok(p)
                } else {
                    Err(format!("`{item}`: a probability is between 0 and 1"))
                }
            };
            match key {
                "seed" => faults.seed = value.parse().map_err(|_| format!("`{item}`: the seed is an integer"))?,
                "429" => faults.p429 = probability(value)?,
                "500" => faults.p500 = probability(value)?,
                "503" => faults.p503 = probability(value)?,
                "drop" => faults.drop = probability(value)?,
                "lost" => faults.lost = probability(value)?,
                "retry-after" => {
                    faults.retry_after_secs = value.parse().map_err(|_| format!("`{item}`: seconds expected"))?
                }
                "latency" => {
                    let (low, high) = value.split_once("..").unwrap_or((value, value));
                    let (low, high) = (parse_duration(low)?, parse_duration(high)?);
                    if low > high {
                        return Err(format!("`{item}`: the range goes backwards"));
                    }
                    faults.latency = Some((low, high));
                }
                "acg-limit" => {
                    let n = value.strip_suffix("/min").unwrap_or(value);
                    faults.acg_limit_per_minute = Some(
                        n.parse()
                            .map_err(|_| format!("`{item}`: expected N/min, e.g. 100/min"))?,
                    );
                }
                "only" if value == "acg" || value == "webex" => faults.only = Some(value.to_string()),
                _ => return Err(format!("`{item}`: unknown fault `{key}` (see docs/emulator.md)")),
            }
        }
        let total = faults.p429 + faults.p500 + faults.p503 + faults.drop + faults.lost;
        if total > 1.0 {
            return Err(format!("the fault probabilities add up to {total}, more than 1"));
        }
        Ok(faults)
    }

    /// Draws the fault of one request.
    pub fn draw(&self, rng: &mut Rng, provider: &str) -> Fault {
        if self.only.as_deref().is_some_and(|only| only != provider) {
            return Fault::None;
        }
        let x = rng.next_f64();
        let mut edge = 0.0;
        for (p, fault) in [
            (self.p429, Fault::Status(429)),
            (self.p500, Fault::Status(500)),
            (self.p503, Fault::Status(503)),
            (self.drop, Fault::Drop),
            (self.lost, Fault::Lost),
        ] {
            edge += p;
            if x < edge {
                return fault;
            }
        }
        Fault::None
    }

    pub fn latency(&self, rng: &mut Rng) -> Option<Duration> {
        self.latency
            .map(|(low, high)| low + (high - low).mul_f64(rng.next_f64()))
    }
}

pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (digits, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (e.g. 500ms, 2s, 5m)"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" | "" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        "h" => Ok(Duration::from_secs(n * 3600)),
        _ => Err(format!("`{text}`: unknown unit `{unit}` (ms, s, m, h)")),
    }
}

/// A small deterministic generator (xorshift64*): the same seed replays the same faults.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_syntax() {
        let f =
            Faults::parse("seed=42,429=0.05,500=0.02,503=0.02,drop=0.01,lost=0.01,latency=5ms..50ms,acg-limit=100/min")
                .expect("valid");
        assert_eq!(f.seed, 42);
        assert_eq!(f.acg_limit_per_minute, Some(100));
        assert_eq!(f.latency, Some((Duration::from_millis(5), Duration::from_millis(50))));
        assert!(Faults::parse("429=2").is_err());
        assert!(Faults::parse("bogus=1").is_err());
        assert!(Faults::parse("429=0.6,500=0.6").is_err());
    }

    #[test]
    fn the_same_seed_replays_the_same_faults() {
        let f = Faults::parse("seed=7,429=0.2,500=0.2,lost=0.2").expect("valid");
        let draws = |seed| {
            let mut rng = Rng::new(seed);
            (0..100).map(|_| f.draw(&mut rng, "acg")).collect::<Vec<_>>()
        };
        assert_eq!(draws(7), draws(7));
        assert_ne!(draws(7), draws(8));
        let none = draws(7).iter().filter(|d| **d == Fault::None).count();
        assert!((20..60).contains(&none), "about 40% pass: {none}");
    }
}
