use super::*;

#[test]
fn every_known_crs_builds() {
    let codes = [
        4326, 4686, 4674, 9377, 3116, 32618, 32718, 32719, 31972, 31978, 31979,
    ];
    for code in codes
        .into_iter()
        .chain(32601..=32660)
        .chain(32701..=32760)
        .chain(31971..=31985)
    {
        let crs = Crs::from_epsg(code).unwrap();
        Proj::from_proj_string(&crs.proj_string()).unwrap();
    }
}

/// Reference values from PROJ 9.1.1 `cs2cs` (recorded in the project's dependency notes).
#[test]
fn codes_careblock_cannot_measure_in_are_refused_with_the_reason() {
    let reason = |code| match Crs::from_epsg(code) {
        Err(CrsError::UnsupportedEpsg { code: c, reason }) => {
            assert_eq!(c, code);
            reason
        }
        other => panic!("EPSG:{code}: {other:?}"),
    };
    assert!(reason(2263).contains("US survey foot"), "New York State Plane");
    assert!(
        reason(2227).contains("US survey foot"),
        "California State Plane zone 3"
    );
    assert!(reason(3857).contains("Mercator"));
    assert!(reason(4978).contains("geocentric"));
    let msg = Crs::parse("EPSG:99999").unwrap_err().to_string();
    assert!(
        msg.contains("EPSG:99999") && msg.contains("check the code"),
        "{msg}"
    );
    let msg = Crs::from_epsg(2263).unwrap_err().to_string();
    assert!(
        msg.starts_with("EPSG:2263 cannot be used: its unit is the US survey foot"),
        "{msg}"
    );
}

/// The direct transverse Mercator gives proj4rs' results over the study areas (Colombia in
/// EPSG:9377, 3116 and UTM 17N–19N; Chile in UTM 18S/19S and SIRGAS 2000 zones) bit for
/// bit (the requirement is 1 mm).
#[test]
fn parses_user_texts() {
    for t in [
        "9377",
        "EPSG:9377",
        "epsg:9377",
        " EPSG:9377 ",
        "urn:ogc:def:crs:EPSG::9377",
    ] {
        assert_eq!(Crs::parse(t).unwrap().epsg(), 9377, "{t}");
    }
    assert_eq!(Crs::parse("urn:ogc:def:crs:OGC:1.3:CRS84").unwrap(), WGS84);
    assert!(matches!(
        Crs::parse("EPSG:abc"),
        Err(CrsError::Unparseable { .. })
    ));
    assert!(matches!(
        Crs::parse("EPSG:1234"),
        Err(CrsError::UnknownEpsg { code: 1234 })
    ));
}

#[test]
fn reads_prj_files() {
    let wgs = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
    let magna = r#"GEOGCS["GCS_MAGNA",DATUM["D_MAGNA",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
    let utm = r#"PROJCS["WGS_1984_UTM_Zone_18S",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]]],PROJECTION["Transverse_Mercator"],UNIT["Meter",1.0]]"#;
    let sirgas = r#"PROJCS["SIRGAS 2000 / UTM zone 19S",GEOGCS["SIRGAS 2000"],PROJECTION["Transverse_Mercator"],AUTHORITY["EPSG","31979"]]"#;
    assert_eq!(Crs::from_wkt(wgs).unwrap(), WGS84);
    assert_eq!(Crs::from_wkt(magna).unwrap().epsg(), 4686);
    assert_eq!(Crs::from_wkt(utm).unwrap().epsg(), 32718);
    assert_eq!(Crs::from_wkt(sirgas).unwrap().epsg(), 31979);
    assert!(Crs::from_wkt("LOCAL_CS[\"x\"]").is_err());
}

#[test]
fn utm_zone_of_study_areas() {
    assert_eq!(Crs::utm_for(-74.1, 4.65), Crs::Projected { epsg: 32618 });
    assert_eq!(Crs::utm_for(-70.65, -33.45), Crs::Projected { epsg: 32719 });
    assert_eq!(Crs::utm_for(180.0, 0.0).epsg(), 32660);
}

/// Every code of the table: the first and last zone of each UTM family and the rest.
const WKT_CODES: [u32; 15] = [
    4326, 4686, 4674, 9377, 3116, 32601, 32618, 32660, 32701, 32718, 32760, 31971, 31976, 31977, 31985,
];

#[test]
fn wkt_reads_back_as_the_same_crs() {
    for code in WKT_CODES {
        let crs = Crs::from_epsg(code).unwrap();
        let wkt = crs.wkt();
        assert_eq!(Crs::from_wkt(&wkt).unwrap(), crs, "{wkt}");
        assert_eq!(wkt.matches('[').count(), wkt.matches(']').count(), "{wkt}");
        // Without its own AUTHORITY node the names and parameters must still say which CRS
        // it is (what `from_wkt` does with a .prj that has none).
        let tail = format!(",AUTHORITY[\"EPSG\",\"{code}\"]]");
        let bare = format!("{}]", wkt.strip_suffix(&tail).unwrap());
        assert_eq!(Crs::from_wkt(&bare).unwrap(), crs, "{bare}");
    }
    assert!(Crs::Projected { epsg: 32718 }.wkt().contains("UTM zone 18S"));
    assert!(
        Crs::Projected { epsg: 31985 }
            .wkt()
            .contains("PARAMETER[\"central_meridian\",-33]")
    );
}

/// GDAL (gdalsrsinfo, from gdal-bin) identifies each WKT as its EPSG code and reads the same
/// projection from it as from its own EPSG database. Skipped (with a line) when gdalsrsinfo
/// is missing, unless CI is set.
#[test]
fn gdal_recognises_every_wkt() {
    let run = |args: &[&str]| std::process::Command::new("gdalsrsinfo").args(args).output();
    if run(&["--version"]).is_err() {
        assert!(std::env::var_os("CI").is_none(), "gdalsrsinfo is missing on CI");
        println!("gdalsrsinfo not found: skipping the GDAL check of Crs::wkt");
        return;
    }
    let text = |args: &[&str]| {
        let out = run(args).unwrap();
        assert!(out.status.success(), "gdalsrsinfo {args:?}: {out:?}");
        assert!(
            out.stderr.is_empty(),
            "gdalsrsinfo {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    for code in WKT_CODES {
        let wkt = Crs::from_epsg(code).unwrap().wkt();
        let epsg = format!("EPSG:{code}");
        let identified = text(&["-e", &wkt]);
        assert_eq!(
            identified.lines().next(),
            Some(epsg.as_str()),
            "{wkt}\n{identified}"
        );
        assert_eq!(
            text(&["-o", "proj4", &wkt]),
            text(&["-o", "proj4", &epsg]),
            "{wkt}"
        );
        // The content alone (no AUTHORITY on the CRS) is matched to the code with certainty.
        let tail = format!(",AUTHORITY[\"EPSG\",\"{code}\"]]");
        let bare = format!("{}]", wkt.strip_suffix(&tail).unwrap());
        let identified = text(&["-e", &bare]);
        assert!(identified.contains(&epsg), "{bare}\n{identified}");
    }
}

#[test]
fn an_unknown_wkt_says_what_to_do_without_naming_a_flag() {
    let e = Crs::from_wkt("PROJCS[\"Local grid\",GEOGCS[\"GCS_Local\"]]").unwrap_err();
    assert_eq!(e.hint(), Some(crate::Hint::GiveCrs));
    assert!(!e.to_string().contains("--"), "{e}");
    assert_eq!(Crs::from_wkt("not a crs").unwrap_err().hint(), None);
}
