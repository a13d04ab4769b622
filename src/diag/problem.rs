//! A runtime problem, after validation: what went wrong and what to do about it.

/// One problem a command reports: a message, and the hints that say what to do. Rendered in one
/// place ([`std::fmt::Display`]): the message, then one `hint:` line per hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub hints: Vec<String>,
}

impl Problem {
    pub fn new(message: impl Into<String>) -> Problem {
        Problem {
            message: message.into(),
            hints: Vec::new(),
        }
    }

    /// This problem with one more hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Problem {
        self.hints.push(hint.into());
        self
    }

    /// The problems, each as `error: …` with its hints, one after the other.
    pub fn report(problems: &[Problem]) -> String {
        problems.iter().map(|p| format!("error: {p}\n")).collect()
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        for hint in &self.hints {
            write!(f, "\nhint: {hint}")?;
        }
        Ok(())
    }
}

impl From<String> for Problem {
    /// A message that came without a hint.
    fn from(message: String) -> Problem {
        Problem::new(message)
    }
}

#[cfg(test)]
mod tests {
    use super::Problem;

    #[test]
    fn hints_follow_the_message_one_per_line() {
        let problem = Problem::new("--target `x` is not KIND/KEY")
            .hint("KIND is one of Account, Device")
            .hint("or plan without --target");
        assert_eq!(
            problem.to_string(),
            "--target `x` is not KIND/KEY\nhint: KIND is one of Account, Device\nhint: or plan without --target"
        );
        assert_eq!(
            Problem::report(&[problem.clone(), Problem::new("second")]),
            format!("error: {problem}\nerror: second\n")
        );
    }
}
