//! Natural order for device names: `rtr2` before `rtr10`, as people number their gear.

use std::cmp::Ordering;

/// Compares digit runs by value and everything else by character (case-insensitively first,
/// so `AMS-1` sits beside `ams-1`, then exactly, so the order is total).
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let (n, rest_x) = split_digits(x);
                let (m, rest_y) = split_digits(y);
                // Without leading zeros, a longer run is a bigger number.
                let (n_trim, m_trim) = (trim_zeros(n), trim_zeros(m));
                let by_value = n_trim
                    .len()
                    .cmp(&m_trim.len())
                    .then_with(|| n_trim.cmp(m_trim));
                if by_value != Ordering::Equal {
                    return by_value;
                }
                (x, y) = (rest_x, rest_y);
            }
            (Some(c), Some(d)) => {
                let by_char = c.to_ascii_lowercase().cmp(&d.to_ascii_lowercase());
                if by_char != Ordering::Equal {
                    return by_char;
                }
                (x, y) = (&x[1..], &y[1..]);
            }
        }
    }
}

fn split_digits(s: &[u8]) -> (&[u8], &[u8]) {
    let end = s
        .iter()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(s.len());
    s.split_at(end)
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let start = digits
        .iter()
        .position(|&c| c != b'0')
        .unwrap_or(digits.len());
    &digits[start..]
}

#[cfg(test)]
mod tests {
    use super::natural_cmp;

    #[test]
    fn numbers_sort_by_value() {
        let mut names = vec![
            "rtr10", "rtr2", "rtr1", "sw1", "rtr02", "RTR3", "rtr", "rtr1-b", "rtr1-a",
        ];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            [
                "rtr", "rtr1", "rtr1-a", "rtr1-b", "rtr02", "rtr2", "RTR3", "rtr10", "sw1"
            ]
        );
    }

    #[test]
    fn order_is_total_and_consistent() {
        assert_eq!(natural_cmp("a", "a"), std::cmp::Ordering::Equal);
        assert_ne!(natural_cmp("a1", "a01"), std::cmp::Ordering::Equal);
        assert_eq!(
            natural_cmp("x99999999999999999999999", "x100000000000000000000000"),
            std::cmp::Ordering::Less
        );
    }
}
