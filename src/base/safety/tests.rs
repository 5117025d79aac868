use super::*;

/// Ways to smuggle a second command or a write past a check, applied to a read-only
/// command of each family: every one of them must be refused in read-only mode.
fn smuggled(read: &str, bad: &str) -> Vec<String> {
    vec![
        format!("{read}\n{bad}"),
        format!("{read}\r{bad}"),
        format!("{read}\r\n{bad}"),
        format!("{read}\u{85}{bad}"),
        format!("{read}\u{2028}{bad}"),
        format!("{read}; {bad}"),
        format!("{read};{bad}"),
        format!("{read}\t{bad}"),
        format!("{read}\u{1b}[2K{bad}"),
        format!("{read}\u{15}{bad}"),
        format!("{read}\u{3}{bad}"),
        format!("{read}\u{0}{bad}"),
        format!("{read}\u{7f}{bad}"),
        format!("{read} \u{202e}{bad}"),
        format!("{read} \u{2066}x"),
        format!("{read} > flash:x"),
        format!("{read} >> flash:x"),
        format!("{read} < flash:x"),
        format!("{read} `{bad}`"),
        format!("{read} {}", "x".repeat(MAX_COMMAND_CHARS)),
    ]
}

fn refused_in_read_only(family: Family, commands: &[String]) {
    assert!(
        commands.len() >= 50,
        "{} cases for {family:?}",
        commands.len()
    );
    for command in commands {
        assert!(
            read_only(command, family).is_err(),
            "{family:?}: `{}` must be refused in read-only mode",
            command.escape_debug()
        );
        assert!(
            matches!(judge(command, [family], true), Verdict::Refuse(_)),
            "{family:?}: judge lets `{}` through",
            command.escape_debug()
        );
    }
}

fn allowed_in_read_only(family: Family, commands: &[&str]) {
    for command in commands {
        assert_eq!(
            read_only(command, family),
            Ok(()),
            "{family:?}: `{command}` only reads"
        );
        assert_eq!(judge(command, [family], true), Verdict::Run, "{command}");
    }
}

fn cases(direct: &[&str], read: &str, bad: &str) -> Vec<String> {
    let mut all: Vec<String> = direct.iter().map(|c| c.to_string()).collect();
    all.extend(smuggled(read, bad));
    all
}

#[test]
fn shell_read_only_refuses_every_bypass() {
    let direct = [
        "uptime && reboot",
        "uptime&&reboot",
        "uptime || reboot",
        "uptime | sh",
        "uptime & reboot",
        "echo $(reboot)",
        "echo `reboot`",
        "$(reboot)",
        "(reboot)",
        "{ reboot; }",
        "/sbin/reboot",
        "./uptime",
        "/tmp/uptime",
        "env reboot",
        "nohup reboot",
        "sudo reboot",
        "sudo uptime",
        "exec reboot",
        "timeout 5 reboot",
        "nice reboot",
        "watch reboot",
        "xargs reboot",
        "busybox reboot",
        "systemctl --force reboot",
        "systemctl reboot",
        "systemctl stop sshd",
        "systemctl restart sshd",
        "systemctl isolate rescue.target",
        "kill -9 1",
        "killall sshd",
        "dd if=/dev/zero of=/dev/sda",
        "rm -rf /",
        "mkfs.ext4 /dev/sda1",
        "reboot",
        "shutdown -h now",
        "init 0",
        "uptime > /etc/passwd",
        "cat /etc/passwd > /tmp/x",
        "cat < /etc/shadow",
        "uptime $IFS",
        "\"reboot\"",
        "'reboot'",
        "re\\boot",
        "r''eboot",
        "bash -c uptime",
        "sh -c reboot",
        "python3 -c 1",
        "awk BEGIN{system(1)}",
        "sed -i d /etc/passwd",
        "tee /etc/hosts",
        "less /etc/passwd",
        "vi /etc/hosts",
        "top",
        "find / -delete",
        "find / -exec reboot",
        "find / -fprint /etc/x",
        "date -s 2020-01-01",
        "date --set=2020-01-01",
        "date 010100002020",
        "hostname PWNED",
        "hostname -F /tmp/x",
        "hostname -b x",
        "sysctl -w kernel.sysrq=1",
        "sysctl kernel.sysrq=1",
        "sysctl -p",
        "dmesg -c",
        "dmesg -C",
        "dmesg -Tc",
        "dmesg --clear",
        "journalctl --vacuum-time=1s",
        "journalctl --rotate",
        "ip link set lo down",
        "ip addr flush dev lo",
        "ip route add default via 127.0.0.1",
        "ip route del default",
        "ip r a default via 127.0.0.1",
        "ip netns exec x reboot",
        "ip -batch /tmp/x",
        "ip -force -b /tmp/x",
        "bridge fdb add x dev lo",
        "timedatectl set-time 2020-01-01",
        "hostnamectl set-hostname x",
        "networkctl reconfigure lo",
        "iptables -F",
        "iptables -A INPUT -j DROP",
        "iptables -t nat -F",
        "nft flush ruleset",
        "nft -f /tmp/x",
        "arp -d 127.0.0.1",
        "arp -s 127.0.0.2 00:11:22:33:44:55",
        "route add default gw 127.0.0.1",
        "ethtool -s lo speed 10",
        "ethtool -K lo tso off",
        "lldpcli configure system hostname x",
        "ls *",
        "ls ?",
        "cat /etc/pass[w]d",
        "cat ~root/.ssh/id_rsa",
        "echo hi #",
        "!!",
        "tcpdump -w /tmp/x",
        "crontab -r",
        "VAR=1 uptime",
        "",
        "   ",
    ];
    refused_in_read_only(Family::Shell, &cases(&direct, "uptime", "reboot"));
}

#[test]
fn shell_read_only_allows_plain_reading_programs() {
    allowed_in_read_only(
        Family::Shell,
        &[
            "uptime",
            "uname -a",
            "hostname",
            "hostname -f",
            "date",
            "date +%F",
            "date -u +%Y-%m-%dT%H:%M:%S",
            "ip addr",
            "ip -br addr show",
            "ip a s",
            "ip route get 127.0.0.1",
            "ip -s link",
            "ip neigh show dev lo",
            "ip netns list",
            "systemctl",
            "systemctl status sshd",
            "systemctl --no-pager list-units --type=service",
            "journalctl -u sshd -n 50 --no-pager",
            "dmesg -T",
            "ps aux",
            "df -h",
            "free -m",
            "cat /proc/loadavg",
            "tail -n 20 /var/log/syslog",
            "grep -c processor /proc/cpuinfo",
            "ss -tlnp",
            "ping -c 1 127.0.0.1",
            "top -b -n 1",
            "sysctl net.ipv4.ip_forward",
            "iptables -L -n",
            "iptables -t nat -S",
            "nft list ruleset",
            "lldpcli show neighbors",
            "ethtool -i lo",
            "ethtool lo",
            "arp -n",
            "find /etc -name hosts",
            "ls -la /etc",
            "timedatectl status",
        ],
    );
}

#[test]
fn cisco_read_only_refuses_every_bypass() {
    let direct = [
        "reload",
        "rel",
        "reload in 5",
        "conf t",
        "configure terminal",
        "configure replace flash:x",
        "write memory",
        "wr",
        "write erase",
        "copy running-config startup-config",
        "delete flash:vlan.dat",
        "erase startup-config",
        "format flash:",
        "squeeze flash:",
        "clear counters",
        "clear ip bgp *",
        "debug all",
        "undebug all",
        "no ip route 0.0.0.0 0.0.0.0 127.0.0.1",
        "do reload",
        "do wr erase",
        "show running-config | redirect flash:x",
        "show running-config | tee flash:x",
        "show running-config | append flash:x",
        "show running-config | r flash:x",
        "show running-config | re flash:x",
        "show running-config | t flash:x",
        "show running-config | a flash:x",
        "show running-config | s x",
        "show running-config | bash",
        "show running-config | vsh",
        "show running-config | email x",
        "show running-config | file x",
        "show running-config |",
        "show running-config | include x | tee flash:y",
        "run bash reboot",
        "bash reboot",
        "tclsh",
        "guestshell run reboot",
        "install add file flash:x",
        "license boot level x",
        "crypto key generate rsa",
        "username x privilege 15 secret y",
        "enable",
        "disable",
        "exit",
        "logout",
        "quit",
        "q",
        "s",
        "send *",
        "setup",
        "test crash",
        "monitor capture x start",
        "boot system flash:x",
        "event manager run x",
        "archive download-sw x",
        "terminal monitor",
        "ssh -l x 127.0.0.1",
        "telnet 127.0.0.1",
        "",
    ];
    refused_in_read_only(Family::Cisco, &cases(&direct, "show version", "reload"));
}

#[test]
fn cisco_read_only_allows_show_ping_and_reading_filters() {
    allowed_in_read_only(
        Family::Cisco,
        &[
            "show version",
            "sh ver",
            "SHOW VERSION",
            "sh ip int br",
            "show running-config",
            "show running-config | include hostname",
            "sh run | i hostname",
            "sh run | inc ntp",
            "sh run | sec interface",
            "sh run | b router",
            "show ip route | exclude 127",
            "show interfaces | count up",
            "show version | json",
            "show reload",
            "do show version",
            "ping 127.0.0.1",
            "traceroute 127.0.0.1",
            "terminal length 0",
            "terminal width 511",
            "dir flash:",
        ],
    );
}

#[test]
fn junos_read_only_refuses_every_bypass() {
    let direct = [
        "configure",
        "configure private",
        "configure exclusive",
        "edit",
        "commit",
        "commit and-quit",
        "rollback 1",
        "request system reboot",
        "request system halt",
        "request system zeroize",
        "request system power-off",
        "request system software add x",
        "request system storage cleanup",
        "start shell",
        "start shell sh",
        "file delete /var/tmp/x",
        "file copy x y",
        "file rename x y",
        "set interfaces ge-0/0/0 disable",
        "set system host-name x",
        "delete interfaces ge-0/0/0",
        "load override terminal",
        "load merge x",
        "clear bgp neighbor all",
        "clear interfaces statistics all",
        "restart routing",
        "restart chassis-control",
        "show configuration | save /var/tmp/x",
        "show configuration | s /var/tmp/x",
        "show configuration | sa x",
        "show configuration | request system reboot",
        "show log messages | hold",
        "show interfaces | refresh 1",
        "show configuration | tee x",
        "show version | display set | save x",
        "monitor traffic interface ge-0/0/0",
        "monitor start messages",
        "op url x",
        "ssh 127.0.0.1",
        "telnet 127.0.0.1",
        "test policy x",
        "exit",
        "quit",
        "shell",
        "help",
        "",
    ];
    refused_in_read_only(
        Family::JuniperJunos,
        &cases(&direct, "show version", "request system reboot"),
    );
}

#[test]
fn junos_read_only_allows_show_and_reading_pipes() {
    allowed_in_read_only(
        Family::JuniperJunos,
        &[
            "show version",
            "show configuration | display set",
            "show configuration | display set | match ntp",
            "show interfaces terse | except down",
            "show route | count",
            "show log messages | last 20",
            "show configuration | compare rollback 1",
            "show system uptime | no-more",
            "ping 127.0.0.1 count 1",
            "traceroute 127.0.0.1",
            "set cli screen-length 0",
        ],
    );
}

#[test]
fn huawei_read_only_refuses_every_bypass() {
    let direct = [
        "system-view",
        "sys",
        "save",
        "save force",
        "reboot",
        "reset saved-configuration",
        "reset counters interface",
        "undo info-center enable",
        "display current-configuration | redirect x",
        "display current-configuration | tee x",
        "display current-configuration | a x",
        "display current-configuration | r x",
        "return",
        "quit",
        "startup saved-configuration x.cfg",
        "delete flash:/x",
        "format flash:",
        "copy x y",
        "clear configuration interface x",
        "debugging all",
        "patch load x",
        "upgrade x",
        "license active x",
        "user-interface vty 0 4",
        "interface GigabitEthernet0/0/1",
        "ip route-static 0.0.0.0 0 127.0.0.1",
        "set device x",
        "commit",
        "rollback configuration to label x",
        "shutdown",
        "di",
        "d",
        "show version",
        "",
    ];
    refused_in_read_only(
        Family::HuaweiVrp,
        &cases(&direct, "display version", "reboot"),
    );
}

#[test]
fn huawei_read_only_allows_display() {
    allowed_in_read_only(
        Family::HuaweiVrp,
        &[
            "display version",
            "dis cur",
            "disp interface brief",
            "display current-configuration | include ntp",
            "display current-configuration | begin interface",
            "ping 127.0.0.1",
            "tracert 127.0.0.1",
            "screen-length 0 temporary",
        ],
    );
}

#[test]
fn nokia_read_only_refuses_every_bypass() {
    let direct = [
        "admin reboot",
        "admin reboot now",
        "admin save",
        "admin display-config",
        "configure router interface x",
        "edit-config private",
        "edit-config exclusive",
        "commit",
        "file delete cf3:/x",
        "file copy x y",
        "file remove x",
        "clear router bgp neighbor all",
        "tools perform router isis run-manual-spf",
        "debug router ip",
        "exec cf3:/x.cfg",
        "bof save",
        "environment more false; admin reboot",
        "show router route-table | save x",
        "show router route-table | tee x",
        "show router route-table | file x",
        "logout",
        "quit",
        "back",
        "exit all",
        "info",
        "environment no more",
        "configure",
        "admin tech-support",
        "password",
        "oam lsp-ping x",
        "",
    ];
    refused_in_read_only(
        Family::NokiaSros,
        &cases(&direct, "show router interface", "admin reboot"),
    );
}

#[test]
fn routeros_read_only_refuses_every_bypass() {
    let direct = [
        "/system reboot",
        "/system shutdown",
        "/system reset-configuration",
        "/system reset-configuration no-defaults=yes",
        "/ip address add address=127.0.0.2/8 interface=ether1",
        "/ip address remove 0",
        "/ip address set 0 disabled=yes",
        "/interface set ether1 disabled=yes",
        "/interface disable ether1",
        "/interface enable ether1",
        "/user add name=x group=full password=y",
        "/user remove x",
        "/file remove x",
        "/import x.rsc",
        "/export file=x",
        "/export compact file=x",
        "/ip address print file=x",
        "/system script run x",
        "/system package update install",
        "/system package downgrade",
        "/tool fetch url=x",
        "/ip address print [find]",
        "/ip address print; /system reboot",
        ":execute script=x",
        ":put [/system reboot]",
        "/system script add source=\"x\"",
        "/ip service set ssh port=2222",
        "/ip firewall filter add chain=input action=drop",
        "/system identity set name=x",
        "/ip route add gateway=127.0.0.1",
        "/system routerboard upgrade",
        "/disk format-drive disk1",
        "/ip address comment 0 comment=x",
        "/ip address edit 0 address",
        "/ip address move 0 1",
        "/ip address unset 0 comment",
        "/ip address print $x",
        "/system identity print {}",
        "/ip address",
        "/system",
        "",
    ];
    refused_in_read_only(
        Family::MikrotikRouteros,
        &cases(&direct, "/ip address print", "/system reboot"),
    );
}

#[test]
fn routeros_read_only_allows_print_and_export() {
    allowed_in_read_only(
        Family::MikrotikRouteros,
        &[
            "/system resource print",
            "/ip address print detail",
            "/ip/address/print",
            "/interface print where running",
            "/export",
            "/export compact",
            "/ping 127.0.0.1 count=1",
            "/tool traceroute 127.0.0.1",
        ],
    );
}

#[test]
fn commands_must_be_one_line() {
    for bad in [
        "show clock\nconfigure terminal\nhostname PWNED\nend",
        "show version\nreload",
        "show version\r",
        "show\u{0}version",
        "show\tversion",
        "show version\u{1b}[A",
        "show version\u{9b}",
        "show \u{202e}noisrev",
        "show version\u{2029}reload",
    ] {
        let why = one_line(bad).unwrap_err();
        assert!(why.contains("a command is one line"), "{why}");
        assert!(!why.chars().any(|c| c.is_control()), "{why:?}");
        assert!(matches!(
            judge(bad, [Family::Cisco], false),
            Verdict::Refuse(_)
        ));
    }
    assert!(
        one_line("show clock\nconf t")
            .unwrap_err()
            .contains("a line break (\\n at character 11)")
    );
    assert!(one_line(&"x".repeat(MAX_COMMAND_CHARS + 1)).is_err());
    assert_eq!(one_line("show ip bgp summary | include 127.0.0.1"), Ok(()));
}

#[test]
fn dangerous_network_commands_are_recognised_with_abbreviations() {
    for cmd in [
        "reload",
        "reload in 5",
        "conf t",
        "configure terminal",
        "wr er",
        "write erase",
        "write memory",
        "request system reboot",
        "delete flash:vlan.dat",
        "show version; reload",
        "no ip route 0.0.0.0 0.0.0.0 127.0.0.1",
        "CLEAR ip bgp *",
        "wr",
        "rel",
        "do reload",
        "do wr erase",
        "request system power-off",
        "load override terminal",
        "system-view",
        "undo ntp-service unicast-server 127.0.0.1",
        "reset saved-configuration",
        "admin reboot",
        "edit-config private",
        "run bash reboot",
        "start shell",
    ] {
        assert!(
            danger(cmd, Family::Cisco).is_some(),
            "{cmd} should be dangerous"
        );
        assert!(matches!(
            judge(cmd, [Family::Cisco], false),
            Verdict::Ask(_)
        ));
    }
    for cmd in [
        "show version",
        "sh ip int br",
        "show running-config",
        "show configuration | display set",
        "ping 127.0.0.1",
        "terminal length 0",
        "show reload",
        "do show version",
        "display version",
    ] {
        assert_eq!(danger(cmd, Family::Cisco), None, "{cmd} should be allowed");
        assert_eq!(judge(cmd, [Family::Cisco], false), Verdict::Run);
    }
}

#[test]
fn dangerous_shell_commands_are_found_behind_wrappers_and_separators() {
    for cmd in [
        "reboot",
        "uptime && reboot",
        "uptime; reboot",
        "uptime || reboot",
        "echo $(reboot)",
        "echo `reboot`",
        "/sbin/reboot",
        "env reboot",
        "env FOO=1 reboot",
        "nohup reboot",
        "sudo reboot",
        "sudo -u root /sbin/shutdown -h now",
        "timeout 5 reboot",
        "nice -n 10 reboot",
        "systemctl --force reboot",
        "systemctl --force --force poweroff",
        "kill -9 1",
        "dd if=/dev/zero of=/dev/sda",
        "rm -rf /",
        "mkfs.ext4 /dev/sda1",
        "init 6",
        "(reboot)",
        "busybox reboot",
        "xargs -n1 kill",
        "uptime | sudo tee x; shutdown now",
    ] {
        assert!(
            danger(cmd, Family::Shell).is_some(),
            "{cmd} should be dangerous on a shell"
        );
    }
    for cmd in [
        "uptime",
        "uname -a",
        "systemctl status sshd",
        "cat /etc/hostname",
        "ps aux | grep sshd",
        "echo rebooting is scheduled",
    ] {
        assert_eq!(danger(cmd, Family::Shell), None, "{cmd} should be allowed");
    }
}

#[test]
fn routeros_dangers() {
    for cmd in [
        "/system reboot",
        "/ip address remove 0",
        "/interface set ether1 disabled=yes",
        "/system reset-configuration",
    ] {
        assert!(danger(cmd, Family::MikrotikRouteros).is_some(), "{cmd}");
    }
    assert_eq!(danger("/ip address print", Family::MikrotikRouteros), None);
}

#[test]
fn a_mixed_selection_is_judged_by_its_strictest_family() {
    // `show version` reads on a router but is no program on a Linux host.
    assert!(matches!(
        judge("show version", [Family::Cisco, Family::Shell], true),
        Verdict::Refuse(why) if why.contains("shell")
    ));
    // `reboot` is dangerous on the shell even if the router would not know it.
    assert_eq!(
        judge("uptime", [Family::Cisco, Family::Shell], false),
        Verdict::Run
    );
    assert!(matches!(
        judge("reboot", [Family::Shell, Family::Cisco], false),
        Verdict::Ask(_)
    ));
}

#[test]
fn families_of_platform_names() {
    assert_eq!(Family::of("cisco_ios"), Family::Cisco);
    assert_eq!(Family::of("cisco_nxos"), Family::Cisco);
    assert_eq!(Family::of("arista_eos"), Family::Cisco);
    assert_eq!(Family::of("juniper_junos"), Family::JuniperJunos);
    assert_eq!(Family::of("huawei_vrp"), Family::HuaweiVrp);
    assert_eq!(Family::of("nokia_sros"), Family::NokiaSros);
    assert_eq!(Family::of("mikrotik_routeros"), Family::MikrotikRouteros);
    assert_eq!(Family::of("linux"), Family::Shell);
    // Unknown platforms are reached over exec channels, which a shell interprets.
    assert_eq!(Family::of("acme_os"), Family::Shell);
}

/// Every built-in platform has a family whose rules fit its CLI: an appliance is never
/// judged as a POSIX shell, where its destructive verbs mean nothing.
#[test]
fn every_builtin_platform_has_a_fitting_family_and_its_destructive_verbs_ask() {
    for p in crate::platforms::Registry::builtin().all() {
        let family = Family::of(&p.name);
        let shell_like = matches!(p.name.as_str(), "linux" | "generic");
        assert_eq!(
            family == Family::Shell,
            shell_like,
            "{}: {family:?}",
            p.name
        );
    }
    let cases = [
        ("fortinet", "execute factoryreset"),
        ("fortinet", "exec reboot"),
        ("fortinet", "config system interface"),
        ("fortinet", "diagnose sys kill 11 1"),
        ("paloalto_panos", "request restart system"),
        ("paloalto_panos", "request system private-data-reset"),
        ("paloalto_panos", "configure"),
        ("vyos", "reboot now"),
        ("vyos", "configure"),
        ("extreme_exos", "unconfigure switch all"),
    ];
    for (platform, command) in cases {
        let family = Family::of(platform);
        assert!(danger(command, family).is_some(), "{platform}: {command}");
        assert!(read_only(command, family).is_err(), "{platform}: {command}");
    }
    assert!(read_only("show system info", Family::of("paloalto_panos")).is_ok());
}

#[test]
fn refusals_never_echo_control_characters() {
    for command in ["\u{1b}]2;OWNED\u{7} x", "reb\u{202e}oot", "x\u{9b}2J"] {
        for family in [Family::Cisco, Family::Shell, Family::MikrotikRouteros] {
            let why = read_only(command, family).unwrap_err();
            assert!(
                !why.chars().any(text_is_unsafe),
                "{family:?}: {}",
                why.escape_debug()
            );
        }
    }
}

fn text_is_unsafe(c: char) -> bool {
    crate::base::text::is_unsafe(c)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

    /// Whatever a user or a plan types: no panic, and a command with a control character
    /// is never allowed to run.
    #[test]
    fn judging_never_panics_and_never_passes_control_characters(
        command in "(show|sh|uptime|/ip|display|ip|reload)?[ -~\n\r\t\u{1b}\u{202e}\u{85};|&$`]{0,40}"
    ) {
        for family in [
            Family::Cisco,
            Family::JuniperJunos,
            Family::HuaweiVrp,
            Family::NokiaSros,
            Family::MikrotikRouteros,
            Family::Shell,
        ] {
            let verdict = judge(&command, [family], true);
            if command.chars().any(text_is_unsafe) {
                proptest::prop_assert!(matches!(verdict, Verdict::Refuse(_)));
            }
            if verdict == Verdict::Run {
                proptest::prop_assert!(read_only(&command, family).is_ok());
                proptest::prop_assert!(danger(&command, family).is_none());
            }
        }
    }
}
