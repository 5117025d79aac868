//! `--from-prometheus` on screen: the tile names the vantage points that see a device
//! down, the detail pane lists every view, the header says whether the source is readable.

use super::*;
use crate::fleet::{RemoteReport, RemoteView};

fn view(vantage: &str, up: bool) -> RemoteView {
    RemoteView {
        vantage: vantage.into(),
        up,
    }
}

#[test]
fn vantage_points_that_see_a_device_down_are_named() {
    let (mut fleet, now) = fleet();
    let mut views = vec![Vec::new(); 12];
    views[0] = vec![view("ber", true), view("par", false)];
    views[3] = vec![view("ber", false)];
    views[5] = vec![view("par", true)];
    fleet.apply(Event::Remote(RemoteReport::Seen {
        at: now,
        views,
        unmatched: 0,
    }));
    let mut app = App::new("t", Rect::new(0, 0, 110, 28));
    let screen = format!("{}", draw(&fleet, &mut app, now).backend());
    assert!(screen.contains("↓par"), "{screen}");
    assert!(screen.contains("↓ber"), "{screen}");
    assert!(screen.contains("remote: ok"), "{screen}");
    assert_eq!(
        fleet.devices[5].reach,
        crate::fleet::Reach::Up,
        "seen up from par"
    );
    assert!(
        screen.contains("▲ remote"),
        "up through par alone: {screen}"
    );
    assert!(
        screen.contains("seen  from here up, ber up, par down"),
        "detail pane of the focused sw00: {screen}"
    );

    fleet.apply(Event::Remote(RemoteReport::Failed {
        at: now,
        reason: "http://127.0.0.1:9: cannot connect".into(),
    }));
    let screen = format!("{}", draw(&fleet, &mut app, now).backend());
    assert!(screen.contains("remote: unreadable"), "{screen}");
    assert!(screen.contains("↓par"), "the last views stay: {screen}");
}
