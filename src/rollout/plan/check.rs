//! Evaluating a check's output against its expectation.

use std::fmt;

use super::{Check, Expect};

/// A compiled regular expression that compares equal by its source text.
#[derive(Clone)]
pub struct Pattern(regex::Regex);

impl Pattern {
    /// Compiles `source` in multi-line mode (`^`/`$` match at line boundaries), which is what
    /// one means when matching command output; `$` also matches before `\r\n` (PTY output).
    pub fn new(source: &str) -> Result<Pattern, regex::Error> {
        regex::RegexBuilder::new(source)
            .multi_line(true)
            .crlf(true)
            .build()
            .map(Pattern)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.0.is_match(text)
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({:?})", self.as_str())
    }
}

/// The result of one check on one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// Why it failed, one line for the UI and the report.
    Fail(String),
}

impl Verdict {
    pub fn passed(&self) -> bool {
        matches!(self, Verdict::Pass)
    }
}

impl Check {
    /// Judges `output`. `pre` is the output of the pre-check with the same command on the
    /// same device (only `same_as_pre` reads it; missing, it fails).
    pub fn evaluate(&self, output: &str, pre: Option<&str>) -> Verdict {
        match &self.expect {
            Expect::Contains(s) if output.contains(s.as_str()) => Verdict::Pass,
            Expect::Contains(s) => Verdict::Fail(format!("output does not contain {s:?}")),
            Expect::NotContains(s) => match output.lines().find(|l| l.contains(s.as_str())) {
                None => Verdict::Pass,
                Some(line) => {
                    Verdict::Fail(format!("output contains {s:?}: {:?}", line.trim_end()))
                }
            },
            Expect::Regex(p) if p.is_match(output) => Verdict::Pass,
            Expect::Regex(p) => Verdict::Fail(format!("output does not match /{}/", p.as_str())),
            Expect::SameAsPre => match pre {
                None => Verdict::Fail("no pre-check output to compare with".into()),
                // Trailing whitespace and blank lines differ between prompts; ignore them.
                Some(pre) if normalise(pre) == normalise(output) => Verdict::Pass,
                Some(pre) => {
                    let changed = super::super::report::changed_lines(pre, output);
                    Verdict::Fail(format!(
                        "output differs from before ({changed} line(s) changed)"
                    ))
                }
            },
        }
    }
}

fn normalise(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    while lines.last() == Some(&"") {
        lines.pop();
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(expect: Expect) -> Check {
        Check {
            name: "c".into(),
            command: "show x".into(),
            expect,
        }
    }

    #[test]
    fn each_expectation_passes_and_fails() {
        let out = "ntp server 127.0.0.1\nhostname r1\n";
        assert!(
            check(Expect::Contains("ntp server".into()))
                .evaluate(out, None)
                .passed()
        );
        assert!(
            !check(Expect::Contains("ntp peer".into()))
                .evaluate(out, None)
                .passed()
        );
        assert!(
            check(Expect::NotContains("error".into()))
                .evaluate(out, None)
                .passed()
        );
        assert_eq!(
            check(Expect::NotContains("hostname".into())).evaluate(out, None),
            Verdict::Fail("output contains \"hostname\": \"hostname r1\"".into())
        );
        let re = |s: &str| check(Expect::Regex(Pattern::new(s).unwrap()));
        assert!(re(r"^hostname \w+$").evaluate(out, None).passed());
        assert!(!re(r"^ntp$").evaluate(out, None).passed());
        assert!(
            re(r"^hostname r1$")
                .evaluate("x\r\nhostname r1\r\n", None)
                .passed()
        );
    }

    #[test]
    fn same_as_pre_ignores_trailing_space_only() {
        let c = check(Expect::SameAsPre);
        assert!(c.evaluate("a\nb  \n\n", Some("a\nb\n")).passed());
        assert!(!c.evaluate("a\nc\n", Some("a\nb\n")).passed());
        assert!(!c.evaluate("a\n", None).passed());
    }
}
