//! Reading chained lines back: every kind of damage, as a table and as properties.

use std::sync::OnceLock;

use proptest::prelude::*;

use super::*;
use crate::base::secrets::Secrets;
use crate::rollout::journal::{Edge, RolloutJournal, Stage};
use crate::rollout::report::{DeviceState, RunState};

fn records() -> Vec<Record> {
    let device = |d: &str, state| Record::Device {
        device: d.into(),
        state,
        reason: None,
    };
    vec![
        Record::Header {
            plan: "ntp".into(),
            plan_hash: "0123".into(),
            waves: vec![vec!["a".into()], vec!["b".into(), "c".into()]],
            resumed: false,
        },
        Record::Overall {
            state: RunState::Running,
            reason: None,
        },
        device("a", DeviceState::PreChecking),
        Record::Step {
            device: "a".into(),
            stage: Stage::Pre,
            index: 0,
            label: "show run".into(),
            edge: Edge::End,
            ok: Some(true),
            output: Some("hostname a\n\"quoted\" é \u{1b}[31m".into()),
            removed: Some(crate::base::sanitize::Removed {
                controls: 2,
                unterminated: 1,
                overwritten: 0,
            }),
        },
        device("a", DeviceState::Applying),
        Record::Stage {
            device: "a".into(),
            stage: Stage::Apply,
            edge: Edge::Begin,
            ok: None,
        },
        device("a", DeviceState::Done),
        Record::Wave {
            wave: 1,
            state: RunState::Running,
            reason: None,
        },
        device("b", DeviceState::Failed),
    ]
}

/// A journal of [`records`] as fleetdash writes it.
fn journal() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let j = RolloutJournal::create(&path, Secrets::default()).unwrap();
        for r in records() {
            j.write(&r).unwrap();
        }
        std::fs::read(&path).unwrap()
    })
}

fn lines() -> Vec<String> {
    String::from_utf8(journal().to_vec())
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn text(lines: &[String]) -> Vec<u8> {
    lines
        .iter()
        .flat_map(|l| format!("{l}\n").into_bytes())
        .collect()
}

fn read_bytes(bytes: &[u8]) -> Result<Chain, Broken> {
    read(bytes).unwrap()
}

/// A line with a hash that holds, chained to `prev`.
fn forged(prev: &str, record: &str) -> String {
    seal(&format!("{{\"prev\":\"{prev}\",\"ts\":\"x\",{record}}}")).0
}

#[test]
fn an_intact_journal_reads_whole() {
    let chain = read_bytes(journal()).unwrap();
    assert_eq!(chain.records, records());
    assert_eq!(chain.tail, Tail::Clean);
    assert_eq!(chain.end, journal().len() as u64);
    assert_eq!(read_bytes(b"").unwrap().records, Vec::<Record>::new());
}

#[test]
fn every_kind_of_damage_is_a_torn_tail_garbage_or_refused_at_its_line() {
    let l = lines();
    let n = l.len();
    let last_hash = read_bytes(journal()).unwrap().last_hash;
    let with = |f: &dyn Fn(&mut Vec<String>)| {
        let mut l = lines();
        f(&mut l);
        text(&l)
    };
    let done_a = r#""kind":"device","device":"a","state":"done""#;
    let cases: Vec<(&str, Vec<u8>, Result<Tail, usize>)> = vec![
        (
            "cut mid-line by a crash",
            journal()[..journal().len() - 20].to_vec(),
            Ok(Tail::Torn { line: n }),
        ),
        (
            "text appended",
            with(&|l| l.push("not json".into())),
            Ok(garbage(n + 1, 1)),
        ),
        (
            "a forged `done` without a hash",
            with(&|l| l.push(format!("{{\"ts\":\"x\",{done_a}}}"))),
            Ok(garbage(n + 1, 1)),
        ),
        (
            "two lines of garbage, the last without a newline",
            [with(&|l| l.push("{}".into())), b"\xff\xfe".to_vec()].concat(),
            Ok(garbage(n + 1, 2)),
        ),
        (
            "a line too long",
            [journal(), &vec![b'x'; MAX_LINE + 10], b"\n"].concat(),
            Ok(garbage(n + 1, 1)),
        ),
        (
            "a forged line with a hash, chained to nothing",
            with(&|l| l.push(forged(GENESIS, done_a))),
            Err(n + 1),
        ),
        (
            "a well-chained line for a device not in the waves",
            with(&|l| {
                l.push(forged(
                    &last_hash,
                    r#""kind":"device","device":"zz","state":"done""#,
                ))
            }),
            Err(n + 1),
        ),
        (
            "a well-chained line for a wave not in the header",
            with(&|l| {
                l.push(forged(
                    &last_hash,
                    r#""kind":"wave","wave":2,"state":"completed""#,
                ))
            }),
            Err(n + 1),
        ),
        (
            "a middle line edited",
            with(&|l| l[2] = l[2].replacen("pre_checking", "done", 1)),
            Err(3),
        ),
        (
            "a middle line removed",
            with(&|l| drop(l.remove(3))),
            Err(4),
        ),
        ("two lines swapped", with(&|l| l.swap(4, 5)), Err(5)),
        (
            "a line repeated",
            with(&|l| l.insert(6, l[6].clone())),
            Err(8),
        ),
        (
            "the last line edited",
            with(&|l| l[n - 1] = l[n - 1].replacen("failed", "done", 1)),
            Ok(garbage(n, 1)),
        ),
        ("no header first", text(&[forged(GENESIS, done_a)]), Err(1)),
        (
            "a second header for another plan",
            with(&|l| {
                l.push(forged(
                    &last_hash,
                    r#""kind":"header","plan":"other","plan_hash":"0123","waves":[["a"],["b","c"]],"resumed":true"#,
                ))
            }),
            Err(n + 1),
        ),
    ];
    for (what, bytes, expected) in cases {
        match (read_bytes(&bytes), expected) {
            (Ok(chain), Ok(tail)) => {
                assert!(same(&chain.tail, &tail), "{what}: {:?}", chain.tail);
                assert_valid_prefix(&chain, &bytes);
            }
            (Err(broken), Err(line)) => assert_eq!(broken.line, line, "{what}: {broken:?}"),
            (got, expected) => panic!("{what}: got {got:?}, expected {expected:?}"),
        }
    }
}

#[test]
fn a_resumed_runs_own_header_is_accepted() {
    let mut l = lines();
    let last = read_bytes(journal()).unwrap().last_hash;
    l.push(forged(
        &last,
        r#""kind":"header","plan":"ntp","plan_hash":"0123","waves":[["a"],["b","c"]],"resumed":true"#,
    ));
    let chain = read_bytes(&text(&l)).unwrap();
    assert_eq!(chain.tail, Tail::Clean);
    assert_eq!(chain.records.len(), records().len() + 1);
}

fn garbage(line: usize, lines: usize) -> Tail {
    Tail::Garbage {
        line,
        lines,
        why: String::new(),
    }
}

/// Garbage is compared by where it starts and how long it is, not by its wording.
fn same(a: &Tail, b: &Tail) -> bool {
    match (a, b) {
        (
            Tail::Garbage { line, lines, .. },
            Tail::Garbage {
                line: l, lines: n, ..
            },
        ) => line == l && lines == n,
        (a, b) => a == b,
    }
}

/// What was read is the original journal's first records, and `end` is where they end.
fn assert_valid_prefix(chain: &Chain, bytes: &[u8]) {
    let all = records();
    assert!(chain.records.len() <= all.len(), "{:?}", chain.records);
    assert_eq!(chain.records[..], all[..chain.records.len()]);
    assert!(chain.end as usize <= bytes.len());
    assert_eq!(
        &bytes[..chain.end as usize],
        &journal()[..chain.end as usize]
    );
}

/// One edit of a journal's bytes.
#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, u8),
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Truncate(usize),
    MoveLine(usize, usize),
}

fn apply(bytes: &[u8], edit: &Edit) -> Vec<u8> {
    let mut b = bytes.to_vec();
    let at = |p: usize| p % (b.len() + 1);
    match edit {
        Edit::Replace(p, v) if !b.is_empty() => {
            let p = p % b.len();
            b[p] = *v;
        }
        Edit::Replace(..) => {}
        Edit::Delete(p, n) => {
            let p = at(*p);
            let end = (p + n).min(b.len());
            b.drain(p..end);
        }
        Edit::Insert(p, v) => {
            let p = at(*p);
            b.splice(p..p, v.iter().copied());
        }
        Edit::Truncate(p) => b.truncate(at(*p)),
        // An empty journal has no line to move.
        Edit::MoveLine(..) if b.is_empty() => {}
        Edit::MoveLine(from, to) => {
            let mut l: Vec<&[u8]> = bytes.split_inclusive(|&c| c == b'\n').collect();
            let line = l.remove(from % l.len());
            let to = to % (l.len() + 1);
            l.insert(to, line);
            b = l.concat();
        }
    }
    b
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(p, v)| Edit::Replace(p, v)),
        (any::<usize>(), 1usize..200).prop_map(|(p, n)| Edit::Delete(p, n)),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 1..80)
        )
            .prop_map(|(p, v)| Edit::Insert(p, v)),
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::MoveLine(a, b)),
    ]
}

/// Line numbers are 1-based and within the text (or one past it).
fn lines_in(bytes: &[u8]) -> usize {
    bytes.split(|&c| c == b'\n').count()
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_and_a_refusal_names_a_line(
        bytes in proptest::collection::vec(any::<u8>(), 0..2000),
    ) {
        match read_bytes(&bytes) {
            Ok(chain) => {
                prop_assert!(chain.end as usize <= bytes.len());
                if let Tail::Garbage { line, .. } | Tail::Torn { line } = chain.tail {
                    prop_assert!((1..=lines_in(&bytes)).contains(&line));
                }
            }
            Err(b) => prop_assert!((1..=lines_in(&bytes)).contains(&b.line), "{b:?}"),
        }
    }

    #[test]
    fn edited_journals_replay_to_a_valid_prefix_or_are_refused_at_a_line(
        edits in proptest::collection::vec(edit(), 1..4),
    ) {
        let bytes = edits.iter().fold(journal().to_vec(), |b, e| apply(&b, e));
        match read_bytes(&bytes) {
            Ok(chain) => {
                assert_valid_prefix(&chain, &bytes);
                if let Tail::Garbage { line, .. } | Tail::Torn { line } = chain.tail {
                    prop_assert_eq!(line, chain.records.len() + 1);
                }
            }
            Err(b) => prop_assert!((1..=lines_in(&bytes)).contains(&b.line), "{b:?}"),
        }
    }
}
