//! Which labels a device's series carry: `name`, the `--vantage` name when given, and the
//! inventory tags the user picked with `--metrics-labels site,role`. Cardinality stays in
//! the user's hands: at most [`MAX_TAG_LABELS`] tags, each value cut to [`MAX_VALUE`] bytes.
//! Values are untrusted text: the exposition encoder escapes `\`, `"` and line feeds as the
//! format asks, and [`label_value`] replaces the other characters that could drive a
//! terminal (controls, DEL, C1, bidi overrides) with U+FFFD, so `curl /metrics` is safe to
//! read too.

use crate::inventory::Inventory;

/// Tags a user may turn into labels.
pub const MAX_TAG_LABELS: usize = 8;
/// Bytes kept of a tag's value (a device name is kept whole: it is the join key).
pub const MAX_VALUE: usize = 128;
/// Label names fleetdash sets itself.
const RESERVED: &[&str] = &["name", "vantage", "le", "instance", "job"];

/// One device's labels, in output order.
pub type DeviceLabels = Vec<(String, String)>;

/// The tag keys of `--metrics-labels`, checked: each a Prometheus label name
/// (`[a-zA-Z_][a-zA-Z0-9_]*`, not starting `__`), none reserved, none twice, at most
/// [`MAX_TAG_LABELS`]. The error says what to write instead.
pub fn parse_tag_labels(text: &str) -> Result<Vec<String>, String> {
    let keys: Vec<String> = text
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .collect();
    if keys.len() > MAX_TAG_LABELS {
        return Err(format!(
            "--metrics-labels: {} tags given, at most {MAX_TAG_LABELS} (each label multiplies \
             the series Prometheus stores)",
            keys.len()
        ));
    }
    for (i, key) in keys.iter().enumerate() {
        if !is_label_name(key) {
            return Err(format!(
                "--metrics-labels: `{}` is not a Prometheus label name: use letters, digits \
                 and `_`, not starting with a digit or `__` (rename the inventory tag)",
                crate::base::text::Untrusted(key)
            ));
        }
        if RESERVED.contains(&key.as_str()) {
            return Err(format!(
                "--metrics-labels: `{key}` is a label fleetdash or Prometheus sets itself; \
                 pick another tag"
            ));
        }
        if keys[..i].contains(key) {
            return Err(format!("--metrics-labels: `{key}` is given twice"));
        }
    }
    Ok(keys)
}

fn is_label_name(key: &str) -> bool {
    let mut chars = key.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    first_ok && !key.starts_with("__") && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Each device's labels, parallel to `inventory.devices`. A device without one of the tags
/// gets an empty value (Prometheus treats it as the label being absent).
pub fn device_labels(
    inventory: &Inventory,
    tags: &[String],
    vantage: Option<&str>,
) -> Vec<DeviceLabels> {
    inventory
        .devices
        .iter()
        .map(|device| {
            let mut labels = vec![("name".to_string(), label_value(&device.name))];
            if let Some(vantage) = vantage {
                labels.push(("vantage".into(), label_value(cut(vantage))));
            }
            for key in tags {
                let value = device.tags.get(key).map_or("", |v| cut(v));
                labels.push((key.clone(), label_value(value)));
            }
            labels
        })
        .collect()
}

/// A label value as exported: characters that could drive a terminal become U+FFFD; a line
/// feed stays (the encoder writes it as `\n`). The vantage reader maps names through this
/// too, so a device's series still find it.
pub fn label_value(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\t' => c,
            c if crate::base::text::is_unsafe(c) => '\u{fffd}',
            c => c,
        })
        .collect()
}

/// `text` cut to [`MAX_VALUE`] bytes at a character boundary.
fn cut(text: &str) -> &str {
    if text.len() <= MAX_VALUE {
        return text;
    }
    let mut end = MAX_VALUE;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_names_are_checked() {
        assert_eq!(parse_tag_labels("site, role").unwrap(), ["site", "role"]);
        assert_eq!(parse_tag_labels("").unwrap(), Vec::<String>::new());
        let refused = [
            ("9site", "not a Prometheus label name"),
            ("rack-id", "not a Prometheus label name"),
            ("__meta", "not a Prometheus label name"),
            ("si\"te", "not a Prometheus label name"),
            ("name", "sets itself"),
            ("vantage", "sets itself"),
            ("site,site", "twice"),
            ("a,b,c,d,e,f,g,h,i", "at most 8"),
        ];
        for (text, why) in refused {
            let err = parse_tag_labels(text).unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn values_come_from_tags_and_are_capped() {
        let long = "é".repeat(100);
        let yaml = format!(
            "devices:\n  - {{name: a, host: 127.0.0.1, tags: {{site: \"{long}\", role: core}}}}\n  - {{name: b, host: 127.0.0.2}}\n"
        );
        let inv = Inventory::from_yaml(&yaml, "t").unwrap();
        let labels = device_labels(&inv, &["site".into(), "role".into()], Some("par"));
        assert_eq!(labels[0][0], ("name".into(), "a".into()));
        assert_eq!(labels[0][1], ("vantage".into(), "par".into()));
        assert_eq!(labels[0][2].1.len(), MAX_VALUE);
        assert_eq!(labels[0][3].1, "core");
        assert_eq!(labels[1][2], ("site".into(), String::new()));
    }
}
