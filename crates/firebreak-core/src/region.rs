//! Region names and region selections as the command line and files give them.

use crate::scan::RegionSelection;

/// Checks the shape of a region name: `us-east-1`, `us-gov-west-1`, `ap-southeast-7`.
pub fn parse_region(text: &str) -> Result<String, String> {
    let parts: Vec<&str> = text.split('-').collect();
    let well_formed = parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if well_formed {
        Ok(text.to_string())
    } else {
        Err(format!(
            "'{text}' is not a region name (expected something like us-east-1)"
        ))
    }
}

/// Parses `enabled`, `all`, or `r1,r2,...`.
pub fn parse_region_selection(text: &str) -> Result<RegionSelection, String> {
    match text.trim() {
        "enabled" => Ok(RegionSelection::Enabled),
        "all" => Ok(RegionSelection::All),
        "" => Err("expected all, enabled, or a comma-separated list of regions".to_string()),
        list => {
            let mut regions = Vec::new();
            for name in list.split(',').map(str::trim) {
                let region = parse_region(name)?;
                if !regions.contains(&region) {
                    regions.push(region);
                }
            }
            Ok(RegionSelection::Named(regions))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names() {
        for good in [
            "us-east-1",
            "us-gov-west-1",
            "ap-southeast-7",
            "cn-northwest-1",
        ] {
            assert_eq!(parse_region(good).as_deref(), Ok(good));
        }
        for bad in [
            "",
            "us-east",
            "US-EAST-1",
            "useast1",
            "us--1",
            "us-east-1a",
            "u-east-1",
        ] {
            assert!(parse_region(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_selection_is_all_enabled_or_a_list_without_repeats() {
        assert_eq!(parse_region_selection("all"), Ok(RegionSelection::All));
        assert_eq!(
            parse_region_selection(" enabled "),
            Ok(RegionSelection::Enabled)
        );
        assert_eq!(
            parse_region_selection("us-east-1, eu-west-1,us-east-1"),
            Ok(RegionSelection::Named(vec![
                "us-east-1".into(),
                "eu-west-1".into()
            ]))
        );
        assert!(parse_region_selection("").is_err());
        assert!(parse_region_selection("  ").is_err());
        let error = parse_region_selection("us-east-1,mars").expect_err("mars is no region");
        assert!(error.contains("'mars' is not a region name"), "{error}");
    }
}
