//! "Did you mean …?": the closest known word to a misspelt one.

use strsim::osa_distance;

/// The candidate closest to `word`, if it is close enough to be a plausible typo.
/// Case differences alone always qualify; otherwise the allowed edit distance (optimal
/// string alignment: a swap of adjacent letters is one edit) grows with the
/// word's length (1 edit up to 5 letters, 2 up to 8, then 3).
pub(crate) fn closest<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let lower = word.to_lowercase();
    let limit = match word.chars().count() {
        0..=5 => 1,
        6..=8 => 2,
        _ => 3,
    };
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| (osa_distance(&lower, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        // Stable: on a tie the earlier candidate wins.
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits_and_transpositions() {
        assert_eq!(osa_distance("host", "host"), 0);
        assert_eq!(osa_distance("hots", "host"), 1);
        assert_eq!(osa_distance("prot", "port"), 1);
        assert_eq!(osa_distance("platfrom", "platform"), 1);
        assert_eq!(osa_distance("", "abc"), 3);
        assert_eq!(osa_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn closest_picks_plausible_typos_only() {
        let fields = ["name", "host", "port", "platform", "groups"];
        assert_eq!(closest("hots", fields), Some("host"));
        assert_eq!(closest("Host", fields), Some("host"));
        assert_eq!(closest("platfom", fields), Some("platform"));
        assert_eq!(closest("group", fields), Some("groups"));
        assert_eq!(closest("colour", fields), None);
        assert_eq!(closest("x", fields), None);
    }
}
