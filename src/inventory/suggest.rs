//! "Did you mean …?": the closest known word to a misspelt one.

/// The candidate closest to `word`, if it is close enough to be a plausible typo.
/// Case differences alone always qualify; otherwise the allowed edit distance grows with the
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
        .map(|c| (distance(&lower, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        // Stable: on a tie the earlier candidate wins.
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Optimal string alignment distance: insertions, deletions, substitutions and transpositions
/// of adjacent characters each cost 1 (so `hots` → `host` is one edit).
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rolling rows: i-2, i-1, i.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            cur[j] = best;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits_and_transpositions() {
        assert_eq!(distance("host", "host"), 0);
        assert_eq!(distance("hots", "host"), 1);
        assert_eq!(distance("prot", "port"), 1);
        assert_eq!(distance("platfrom", "platform"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
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
