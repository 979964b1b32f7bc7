//! Request templates: text with `{iteration}`, `{user}`, `{value}` and
//! `{seed}` placeholders, parsed once and filled per iteration.

use spike_core::Ctx;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Var {
    Iteration,
    User,
    Value,
    Seed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Text(String),
    Var(Var),
}

/// A parsed template. Only the four known placeholders are substituted;
/// every other character, braces included, is kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    segments: Vec<Segment>,
}

/// Salt of the `{user}` draw, so it differs from `Ctx::pick`'s.
const USER_SALT: u64 = 0x5553_4552;

/// What a template is filled from.
pub(crate) struct Fill<'a> {
    pub(crate) ctx: &'a Ctx,
    pub(crate) users: u64,
    pub(crate) values: &'a [String],
}

impl Template {
    pub(crate) fn parse(text: &str) -> Self {
        const VARS: [(&str, Var); 4] = [
            ("{iteration}", Var::Iteration),
            ("{user}", Var::User),
            ("{value}", Var::Value),
            ("{seed}", Var::Seed),
        ];
        let mut segments = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        'outer: while let Some(c) = rest.chars().next() {
            if c == '{' {
                for (name, var) in VARS {
                    if let Some(after) = rest.strip_prefix(name) {
                        if !literal.is_empty() {
                            segments.push(Segment::Text(std::mem::take(&mut literal)));
                        }
                        segments.push(Segment::Var(var));
                        rest = after;
                        continue 'outer;
                    }
                }
            }
            literal.push(c);
            rest = &rest[c.len_utf8()..];
        }
        if !literal.is_empty() {
            segments.push(Segment::Text(literal));
        }
        Template { segments }
    }

    /// Whether the template has no placeholder (its text never changes).
    pub(crate) fn is_static(&self) -> bool {
        self.segments.iter().all(|s| matches!(s, Segment::Text(_)))
    }

    /// Whether the template uses `{value}`.
    pub(crate) fn uses_value(&self) -> bool {
        self.segments.contains(&Segment::Var(Var::Value))
    }

    /// The whole text when the template has no placeholder.
    pub(crate) fn as_static(&self) -> Option<&str> {
        match self.segments.as_slice() {
            [] => Some(""),
            [Segment::Text(t)] => Some(t),
            _ => None,
        }
    }

    pub(crate) fn render(&self, fill: &Fill<'_>) -> String {
        let mut out = String::new();
        self.render_into(fill, &mut out);
        out
    }

    /// Append the filled template to `out`.
    pub(crate) fn render_into(&self, fill: &Fill<'_>, out: &mut String) {
        use std::fmt::Write as _;
        for seg in &self.segments {
            match seg {
                Segment::Text(t) => out.push_str(t),
                Segment::Var(Var::Iteration) => {
                    let _ = write!(out, "{}", fill.ctx.iteration());
                }
                Segment::Var(Var::User) => {
                    let _ = write!(out, "{}", fill.ctx.random_below(fill.users, USER_SALT));
                }
                Segment::Var(Var::Value) => {
                    if !fill.values.is_empty() {
                        out.push_str(fill.ctx.pick::<String>(fill.values));
                    }
                }
                Segment::Var(Var::Seed) => {
                    let _ = write!(out, "{}", fill.ctx.seed());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_placeholders_and_keeps_other_braces() {
        let t = Template::parse(r#"{"user":"u-{user}","n":{iteration},"x":"{other}"}"#);
        assert_eq!(
            t.segments,
            vec![
                Segment::Text(r#"{"user":"u-"#.into()),
                Segment::Var(Var::User),
                Segment::Text(r#"","n":"#.into()),
                Segment::Var(Var::Iteration),
                Segment::Text(r#","x":"{other}"}"#.into()),
            ]
        );
        assert!(!t.is_static());
        assert!(Template::parse("/health").is_static());
        assert!(Template::parse("/item/{value}").uses_value());
        assert!(Template::parse("é{seed}").segments.len() == 2);
    }
}
