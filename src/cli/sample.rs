//! `webgan sample`: a PNG grid (images) or scatter plot (2-D points) from a weights file; with
//! the latent tools, a truncated grid, a sweep along a principal direction, or a latent plane;
//! with attribute directions (faces), edited samples or a sweep along one attribute.

use rand::SeedableRng;

use super::{SampleArgs, write_png};
use crate::attributes::{self, judge::FaceJudge};
use crate::backend;
use crate::block_on;
use crate::data::Toy;
use crate::directions;
use crate::error::{Result, WebganError};
use crate::grid;
use crate::inference::Sampler;
use crate::latent;
use crate::model::ArchConfig;

/// The latent tools' options of `webgan sample`.
#[derive(clap::Args, Debug)]
pub struct LatentArgs {
    /// Truncation psi in [0, 1]: pulls every latent toward the mean (0 = the mean sample,
    /// 1 = untouched). Several values (e.g. 1,0.7,0.4,0): a strip, one row per psi, of the
    /// same --cols latents.
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    pub truncation: Option<Vec<f32>>,
    /// Render a sweep along principal direction K (0 = most variance): one row per latent,
    /// --cols steps across --range.
    #[arg(long, conflicts_with = "plane")]
    pub direction: Option<usize>,
    /// Edit the samples along named attribute directions, e.g. age=+2,gender=-1 (faces: age
    /// from younger to older, gender from feminine to masculine; amounts in units of z, as for
    /// --direction). One name alone (e.g. age) renders a sweep like --direction. The file's
    /// stored directions, or fitted on load with the faces classifier where it has none.
    #[arg(
        long,
        value_delimiter = ',',
        num_args = 1..,
        conflicts_with_all = ["direction", "plane"]
    )]
    pub attribute: Option<Vec<String>>,
    /// Range of the sweep, in units of z (a latent's typical length is sqrt(latent_dim)).
    #[arg(long, default_value = "-3:3", allow_hyphen_values = true)]
    pub range: String,
    /// Rows of a sweep [default 4] or a latent plane [default 8].
    #[arg(long)]
    pub rows: Option<usize>,
    /// A latent plane between 2 to 4 corners, given as cells of this seed's grid
    /// (e.g. 0,1,10,11: top-left, top-right, bottom-left, bottom-right); --rows x --cols cells.
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    pub plane: Option<Vec<usize>>,
    /// Scale image grids up by this factor (each pixel a block), for showing small images.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=16))]
    pub zoom: u8,
}

/// Parses "A:B" into (A, B).
fn parse_range(text: &str) -> Result<(f32, f32)> {
    let bad = || WebganError::invalid("range", text, "must be A:B with finite numbers, e.g. -3:3");
    let (a, b) = text.split_once(':').ok_or_else(bad)?;
    let (a, b): (f32, f32) = (
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
    );
    if !(a.is_finite() && b.is_finite()) || a == b {
        return Err(bad());
    }
    Ok((a, b))
}

pub fn run(args: SampleArgs) -> Result<()> {
    if args.n == 0 || args.n > 100_000 {
        return Err(WebganError::invalid("n", args.n, "must be 1..=100000"));
    }
    // Before any sampling: a bad layout should not cost a model load and a forward pass.
    if let Some(cols) = args.cols {
        crate::limits::GRID_COLS.check_count(cols as u64)?;
    }
    let psis = args.latent.truncation.clone().unwrap_or_else(|| vec![1.0]);
    for &psi in &psis {
        latent::check_psi(psi)?;
    }
    if psis.is_empty() {
        return Err(WebganError::invalid(
            "truncation",
            "nothing",
            "give at least one psi",
        ));
    }
    let bytes = super::read_model(&args.model)?;
    let device = backend::open(args.backend)?;
    let mut sampler = Sampler::load(&bytes, &args.model.display().to_string(), &device)?;
    sampler.set_matmul_convs(args.backend.prefers_matmul_convs());
    let psi = psis[0];
    if psis.len() > 1 {
        if args.latent.direction.is_some()
            || args.latent.plane.is_some()
            || args.latent.attribute.is_some()
        {
            return Err(WebganError::invalid(
                "truncation",
                format!("{psis:?}"),
                "a sweep or a plane takes one psi",
            ));
        }
        return psi_strip(&sampler, &args, &psis);
    }
    if let Some(k) = args.latent.direction {
        return direction_sweep(&sampler, &args, k, psi);
    }
    let mut edit = None;
    if let Some(items) = &args.latent.attribute {
        // The classifier is loaded only to fit directions a file does not store.
        let judge = match sampler.manifest.attributes {
            Some(_) => None,
            None => Some(FaceJudge::shipped(&device)?),
        };
        let (attributes, computed) = attributes::of_model(&sampler, judge.as_ref())?;
        if computed {
            println!(
                "this file stores no attribute directions: fitted them from {} faces labelled \
                 by {}",
                attributes.samples, attributes.labeller
            );
        }
        match parse_edits(items)? {
            Edits::Sweep(name) => {
                let a = attributes.find(&name)?;
                let what = format!("attribute {name} ({})", a.label());
                return sweep(&sampler, &args, psi, &what, |z, _, amount| {
                    attributes.shift(z, &[(name.clone(), amount)])
                });
            }
            Edits::Amounts(list) => {
                for (name, _) in &list {
                    attributes.find(name)?;
                }
                edit = Some((attributes, list));
            }
        }
    }
    if let Some(corners) = &args.latent.plane {
        return plane(&sampler, &args, corners, psi);
    }
    let labels = sampler.labels(args.n, args.class)?;
    let z = latent::truncate(
        &latent::batch_for_seed(args.seed, args.n, sampler.latent_dim()),
        psi,
    )?;
    let z = match &edit {
        Some((attributes, list)) => {
            let said: Vec<String> = list.iter().map(|(n, a)| format!("{n} {a:+}")).collect();
            println!("edited along {}", said.join(", "));
            attributes.shift(&z, list)?
        }
        None => z,
    };
    let samples = sampler.generate(z, labels)?;
    match sampler.arch().clone() {
        ArchConfig::Image(c) => {
            let default_cols = if (1..=16).contains(&c.n_classes) {
                c.n_classes
            } else {
                8
            };
            let cols = args.cols.unwrap_or(default_cols);
            write_grid(
                &sampler,
                &args,
                &samples,
                cols,
                &format!("{} samples", args.n),
            )?;
        }
        ArchConfig::Toy(_) => {
            // Real points for reference, when the manifest names a toy data set.
            let real = match sampler.manifest.dataset.parse::<Toy>() {
                Ok(toy) => toy.sample(&mut rand::rngs::StdRng::seed_from_u64(args.seed), args.n),
                Err(_) => Vec::new(),
            };
            let side = 512;
            let rgba = grid::scatter_rgba(&real, &samples, side, 1.6);
            write_png(&args.out, side, side, &rgba)?;
            println!(
                "wrote {} (scatter of {} points)",
                args.out.display(),
                args.n
            );
        }
    }
    Ok(())
}

fn write_grid(
    sampler: &Sampler,
    args: &SampleArgs,
    samples: &[f32],
    cols: usize,
    what: &str,
) -> Result<()> {
    let (size, channels) = sampler.arch().image_shape().ok_or_else(|| {
        WebganError::invalid(
            "model",
            "2-D points",
            "sweeps and planes are drawn for image models",
        )
    })?;
    let (w, h, rgba) = grid::image_grid_rgba(samples, size, channels, cols)?;
    let (w, h, rgba) = grid::upscale_rgba(&rgba, w, h, args.latent.zoom as usize);
    write_png(&args.out, w, h, &rgba)?;
    println!("wrote {} ({w}x{h}, {what})", args.out.display());
    Ok(())
}

/// The same `--cols` latents at each psi, one row per psi.
fn psi_strip(sampler: &Sampler, args: &SampleArgs, psis: &[f32]) -> Result<()> {
    let classes = sampler.arch().n_classes();
    let cols = args.cols.unwrap_or(if (1..=16).contains(&classes) {
        classes
    } else {
        8
    });
    let base = latent::batch_for_seed(args.seed, cols, sampler.latent_dim());
    let row_labels = sampler.labels(cols, args.class)?;
    let mut z = Vec::new();
    for &psi in psis {
        z.extend(latent::truncate(&base, psi)?);
    }
    let labels = row_labels.map(|l| l.repeat(psis.len()));
    let samples = sampler.generate(z, labels)?;
    write_grid(
        sampler,
        args,
        &samples,
        cols,
        &format!("truncation strip, rows at psi {psis:?}"),
    )
}

/// What `--attribute` asks for: amounts to add, or one attribute to sweep.
#[derive(Debug, PartialEq)]
enum Edits {
    Amounts(Vec<(String, f32)>),
    Sweep(String),
}

fn parse_edits(items: &[String]) -> Result<Edits> {
    let text = items.join(",");
    let bad = |why: &str| WebganError::invalid("attribute", &text, why.to_string());
    if let [name] = items
        && !name.contains('=')
    {
        let name = name.trim();
        if name.is_empty() {
            return Err(bad(
                "name an attribute, e.g. age, or give amounts: age=+2,gender=-1",
            ));
        }
        return Ok(Edits::Sweep(name.into()));
    }
    let mut out: Vec<(String, f32)> = Vec::new();
    for item in items {
        let (name, amount) = item.split_once('=').ok_or_else(|| {
            bad("give every attribute an amount (age=+2,gender=-1), or name one alone for a sweep")
        })?;
        let name = name.trim().to_string();
        let amount: f32 = amount
            .trim()
            .parse()
            .ok()
            .filter(|a: &f32| a.is_finite())
            .ok_or_else(|| bad("amounts are finite numbers, e.g. age=+2 or gender=-1.5"))?;
        if out.iter().any(|(n, _)| *n == name) {
            return Err(bad("each attribute once"));
        }
        out.push((name, amount));
    }
    Ok(Edits::Amounts(out))
}

/// One row per latent of the seed, each moved along direction `k` across the range.
fn direction_sweep(sampler: &Sampler, args: &SampleArgs, k: usize, psi: f32) -> Result<()> {
    let (dirs, computed) = block_on(directions::of_model(sampler))?;
    if computed {
        println!(
            "this file stores no directions: computed them from {} latents per class",
            dirs.samples
        );
    }
    let row_class = sampler.labels(1, args.class)?.map(|l| l[0] as usize);
    let share = dirs.set_for(row_class)?.variance_share.get(k).copied();
    let what = format!(
        "direction {k}; it drives {:.1}% of the first block's variance{}",
        share.unwrap_or(0.0) * 100.0,
        if dirs.per_class {
            " (row 1's class)"
        } else {
            ""
        }
    );
    sweep(sampler, args, psi, &what, |z, class, amount| {
        dirs.shift(z, class, k, amount)
    })
}

/// One row per latent of the seed, each moved by `shift(z, class, amount)` across the range.
fn sweep(
    sampler: &Sampler,
    args: &SampleArgs,
    psi: f32,
    what: &str,
    shift: impl Fn(&[f32], Option<usize>, f32) -> Result<Vec<f32>>,
) -> Result<()> {
    let (from, to) = parse_range(&args.latent.range)?;
    let rows = args.latent.rows.unwrap_or(4);
    let cols = args.cols.unwrap_or(9);
    if !(1..=64).contains(&rows) || !(2..=64).contains(&cols) {
        return Err(WebganError::invalid(
            "rows/cols",
            format!("{rows}x{cols}"),
            "a sweep has 1..=64 rows and 2..=64 columns",
        ));
    }
    let dim = sampler.latent_dim();
    let base = latent::truncate(&latent::batch_for_seed(args.seed, rows, dim), psi)?;
    let row_labels = sampler.labels(rows, args.class)?;
    let mut z = Vec::with_capacity(rows * cols * dim);
    let mut labels = row_labels.as_ref().map(|_| Vec::new());
    for r in 0..rows {
        let class = row_labels.as_ref().map(|l| l[r] as usize);
        for c in 0..cols {
            let amount = from + (to - from) * c as f32 / (cols - 1) as f32;
            z.extend(shift(&base[r * dim..(r + 1) * dim], class, amount)?);
            if let (Some(l), Some(class)) = (labels.as_mut(), class) {
                l.push(class as i64);
            }
        }
    }
    let samples = sampler.generate(z, labels)?;
    write_grid(
        sampler,
        args,
        &samples,
        cols,
        &format!("{what}, from {from} to {to}"),
    )
}

/// A latent plane between cells of the seed's grid.
fn plane(sampler: &Sampler, args: &SampleArgs, corners: &[usize], psi: f32) -> Result<()> {
    let rows = args.latent.rows.unwrap_or(8);
    let cols = args.cols.unwrap_or(8);
    let dim = sampler.latent_dim();
    let highest = corners.iter().copied().max().unwrap_or(0);
    if highest >= 100_000 {
        return Err(WebganError::invalid(
            "plane",
            highest,
            "cells are 0..100000",
        ));
    }
    let batch = latent::batch_for_seed(args.seed, highest + 1, dim);
    let corner_z: Vec<f32> = corners
        .iter()
        .flat_map(|&i| batch[i * dim..(i + 1) * dim].to_vec())
        .collect();
    let z = latent::truncate(&latent::plane(&corner_z, dim, rows, cols)?, psi)?;
    // One class for the whole plane: --class, else the first corner's (cells cycle classes).
    let class = match (sampler.arch().n_classes(), args.class) {
        (0, _) => None,
        (_, Some(c)) => Some(c),
        (k, None) => Some(corners[0] % k),
    };
    let labels = sampler.labels(rows * cols, class)?;
    let samples = sampler.generate(z, labels)?;
    write_grid(
        sampler,
        args,
        &samples,
        cols,
        &format!("latent plane between cells {corners:?}, {rows}x{cols}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_edits_parse_or_say_why() {
        let items = |s: &str| s.split(',').map(String::from).collect::<Vec<_>>();
        assert_eq!(
            parse_edits(&items("age=+2,gender=-1")).unwrap(),
            Edits::Amounts(vec![("age".into(), 2.0), ("gender".into(), -1.0)])
        );
        assert_eq!(
            parse_edits(&items("age")).unwrap(),
            Edits::Sweep("age".into())
        );
        for bad in [
            "age,gender",
            "age=x",
            "age=inf",
            "age=1,age=2",
            " ",
            "age=1,gender",
        ] {
            assert!(parse_edits(&items(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn ranges_parse_or_say_why() {
        assert_eq!(parse_range("-3:3").unwrap(), (-3.0, 3.0));
        assert_eq!(parse_range(" 0.5 : -2 ").unwrap(), (0.5, -2.0));
        for bad in ["3", "a:b", "1:1", "nan:2", "-inf:0"] {
            assert!(parse_range(bad).is_err(), "{bad}");
        }
    }
}
