//! "Did you mean": the closest of a list of known names to a misspelled one.

/// Edits (insertions, deletions, substitutions, swaps of two neighbours)
/// that turn `a` into `b`: the optimal string alignment distance, by
/// characters.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // d[i][j]: distance between the first i chars of a and the first j of b.
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// The known name closest to `wanted`, when one is close enough to be a
/// likely typo: the same name in another case, or at most one edit per
/// three characters (at least one). Ties go to the first in `known`.
pub(crate) fn closest<'a>(
    wanted: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let wanted_lower = wanted.to_lowercase();
    let limit = (wanted.chars().count() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for name in known {
        let d = distance(&wanted_lower, &name.to_lowercase());
        if d <= limit && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, name));
        }
    }
    best.map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("", ""), 0);
        assert_eq!(distance("abc", ""), 3);
        assert_eq!(distance("", "ab"), 2);
        assert_eq!(distance("checkout", "checkout"), 0);
        assert_eq!(distance("checkot", "checkout"), 1); // a deletion
        assert_eq!(distance("chekcout", "checkout"), 1); // a swap
        assert_eq!(distance("checkouts", "checkout"), 1); // an insertion
        assert_eq!(distance("chuckout", "checkout"), 1); // a substitution
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("brwose", "browse"), 1);
    }

    #[test]
    fn only_a_close_name_is_suggested() {
        let known = ["browse", "checkout", "search"];
        assert_eq!(closest("checkot", known), Some("checkout"));
        assert_eq!(closest("Checkout", known), Some("checkout"));
        assert_eq!(closest("serach", known), Some("search"));
        assert_eq!(closest("login", known), None);
        assert_eq!(closest("pay", known), None);
        // Two edits in 6 characters: a typo.
        assert_eq!(closest("chckot", known), Some("checkout"));
        // Three edits in 8 characters: another name.
        assert_eq!(closest("browsing", known), None);
        assert_eq!(closest("a", ["b", "c"]), Some("b"));
        assert_eq!(closest("x", std::iter::empty()), None);
    }
}
