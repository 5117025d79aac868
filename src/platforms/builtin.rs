//! The built-in platform files, embedded in the binary.

macro_rules! builtin {
    ($($name:literal),* $(,)?) => {
        /// `(name, text)` of every file in `assets/platforms/`.
        pub(super) const FILES: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../../assets/platforms/", $name, ".yaml")))),*
        ];
    };
}

builtin!(
    "arista_eos",
    "aruba_aoscx",
    "cisco_asa",
    "cisco_ios",
    "cisco_nxos",
    "cisco_xe",
    "cisco_xr",
    "dell_os10",
    "extreme_exos",
    "fortinet",
    "generic",
    "hp_procurve",
    "huawei_vrp",
    "huawei_vrpv8",
    "juniper_junos",
    "linux",
    "mikrotik_routeros",
    "nokia_sros",
    "nokia_sros_md",
    "paloalto_panos",
    "vyos",
);

#[cfg(test)]
mod tests {
    use super::FILES;

    #[test]
    fn every_file_in_assets_is_built_in() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/platforms");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| {
                let name = e.unwrap().file_name().into_string().unwrap();
                name.strip_suffix(".yaml").map(str::to_string)
            })
            .collect();
        on_disk.sort();
        let listed: Vec<&str> = FILES.iter().map(|(n, _)| *n).collect();
        assert_eq!(on_disk, listed, "list every platform file in builtin!()");
    }
}
