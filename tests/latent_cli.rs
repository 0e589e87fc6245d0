//! `webgan sample`'s latent options and `webgan invert`, end to end on the shipped digits model.

mod common;

use common::webgan;

fn tmp(name: &str) -> common::TempDir {
    common::tmp("latent", name)
}

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Two tiles drawn from the same latent in batches of different sizes: equal up to a rounding
/// flip of one grey level.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(*y) <= 1)
}

/// The 28x28 tiles of a grey grid PNG.
fn tiles(path: &std::path::Path) -> (u32, u32, Vec<Vec<u8>>) {
    let img = image::open(path).unwrap().to_luma8();
    let (w, h) = img.dimensions();
    let mut out = Vec::new();
    for ty in 0..h / 28 {
        for tx in 0..w / 28 {
            let mut t = Vec::new();
            for y in 0..28 {
                for x in 0..28 {
                    t.push(img.get_pixel(tx * 28 + x, ty * 28 + y)[0]);
                }
            }
            out.push(t);
        }
    }
    (w, h, out)
}

#[test]
fn sample_truncation_sweep_and_plane() {
    let dir = tmp("sample");
    let out = |name: &str| dir.join(name).to_str().unwrap().to_string();

    // psi 0: z at the prior's mean. The digits model multiplies z by the class, so the class
    // reaches the first layer only through z; it also reaches every batch norm (class_norm),
    // so each class keeps its own image: cells of one class (0-9 in turn) are identical, and
    // the classes are not all one image.
    let o = webgan(&[
        "sample",
        "--model",
        "digits",
        "--n",
        "20",
        "--truncation",
        "0",
        "--out",
        &out("psi0.png"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let (_, _, t) = tiles(&dir.join("psi0.png"));
    assert_eq!(t.len(), 20);
    assert!((0..10).all(|i| t[i] == t[i + 10]));
    assert!(t[..10].iter().any(|tile| tile != &t[0]));
    let o = webgan(&[
        "sample",
        "--model",
        "digits",
        "--n",
        "20",
        "--out",
        &out("psi1.png"),
    ]);
    assert!(o.status.success());
    let (_, _, plain) = tiles(&dir.join("psi1.png"));
    assert_ne!(plain[0], plain[1]);

    // A sweep: 3 rows x 7 steps; the middle column (amount 0) is the untouched latent.
    let o = webgan(&[
        "sample",
        "--model",
        "digits",
        "--direction",
        "0",
        "--range",
        "-3:3",
        "--rows",
        "3",
        "--cols",
        "7",
        "--out",
        &out("sweep.png"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("% of the first block's variance"),
        "{}",
        text(&o)
    );
    let (w, h, sweep) = tiles(&dir.join("sweep.png"));
    assert_eq!((w, h), (7 * 28, 3 * 28));
    assert!(
        same(&sweep[3], &plain[0]),
        "row 0's middle is seed 0's first latent, unmoved"
    );
    assert!(!same(&sweep[0], &sweep[6]), "the ends of the sweep differ");

    // Two corners, cells 0 and 10: a path read row by row, drawn in cell 0's class.
    let o = webgan(&[
        "sample",
        "--model",
        "digits",
        "--plane",
        "0,10",
        "--rows",
        "2",
        "--cols",
        "3",
        "--out",
        &out("plane.png"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let (w, h, plane) = tiles(&dir.join("plane.png"));
    assert_eq!((w, h), (3 * 28, 2 * 28));
    assert!(same(&plane[0], &plain[0]));
    assert!(
        same(&plane[5], &plain[10]),
        "cell 10 has class 0 too, so the path ends on it"
    );

    for (args, why) in [
        (vec!["--truncation", "1.5"], "truncation"),
        (vec!["--direction", "99"], "direction"),
        (vec!["--direction", "0", "--range", "3"], "range"),
        (vec!["--plane", "4"], "corners"),
    ] {
        let mut all = vec!["sample", "--model", "digits", "--out"];
        let bad = out("bad.png");
        all.push(&bad);
        all.extend(args.iter());
        let o = webgan(&all);
        assert!(!o.status.success(), "{args:?} should fail");
        assert!(text(&o).contains(why), "{args:?}: {}", text(&o));
    }
}

#[test]
fn invert_finds_a_drawn_one_and_refuses_non_images() {
    let dir = tmp("invert");
    // A "1" drawn dark on white, 100x140, off-centre: it is framed, resized and inverted.
    let mut img = image::GrayImage::from_pixel(100, 140, image::Luma([255]));
    for y in 20..120 {
        for x in 30..42 {
            img.put_pixel(x, y, image::Luma([0]));
        }
    }
    let png = dir.join("one.png");
    img.save(&png).unwrap();
    let out = dir.join("found.png");
    let o = webgan(&[
        "invert",
        "--model",
        "digits",
        "--image",
        png.to_str().unwrap(),
        "--steps",
        "80",
        "--restarts",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains("inverted to light on dark") && t.contains("resized from 100x140"),
        "{t}"
    );
    assert!(t.contains("found class 1"), "a bar is a one: {t}");
    let img = image::open(&out).unwrap();
    assert_eq!((img.width(), img.height()), (56, 28), "target | match");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.with_extension("json")).unwrap())
            .unwrap();
    assert_eq!(json["z"].as_array().unwrap().len(), 64);
    assert_eq!(json["class"], 1);
    assert!(json["pixel_mse"].as_f64().unwrap() < 0.2, "{json}");

    // Not an image: a clear error, a failing exit code.
    let junk = dir.join("notes.png");
    std::fs::write(&junk, b"this is text, not a picture").unwrap();
    let o = webgan(&[
        "invert",
        "--model",
        "digits",
        "--image",
        junk.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(text(&o).contains("not an image"), "{}", text(&o));
}
