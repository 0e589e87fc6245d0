//! `webgan attributes`: do a model's attribute edits work? Random faces moved along "age" and
//! "gender", read by the faces classifier (`attributes::measure`). The last line is one JSON
//! object.

use std::path::PathBuf;

use super::read_model;
use crate::attributes::measure::{self, STEPS};
use crate::attributes::{self, AgeFit, judge::FaceJudge};
use crate::backend::{self, BackendKind};
use crate::error::{Result, WebganError};
use crate::inference::Sampler;

/// Measure a model's attribute directions (age, gender): the faces classifier reads random
/// faces moved from -3 to +3 along each. Reports the mean predicted age bracket and
/// probability of "male" at each step, their rank correlation with the step, the share of faces
/// whose predicted gender crosses 0.5 along the gender direction, and how much more each
/// direction changes its own attribute than the other.
#[derive(clap::Args, Debug)]
pub struct AttributesArgs {
    /// A generator file, or a shipped model (faces).
    #[arg(long)]
    pub model: PathBuf,
    /// Random faces moved along each direction.
    #[arg(long, default_value_t = 100)]
    pub faces: usize,
    /// Seed of those faces' latents (the fit uses its own, so they are new to it).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Fit the directions afresh from this many latents instead of using the stored ones.
    #[arg(long)]
    pub recompute: Option<usize>,
    /// How a fresh fit (--recompute) fits age.
    #[arg(long, value_enum, default_value = "linear")]
    pub age_fit: AgeFit,
    /// The faces classifier that reads the faces (and labels a fresh fit) [default: the
    /// shipped one].
    #[arg(long)]
    pub classifier: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "flex")]
    pub backend: BackendKind,
}

pub fn run(args: AttributesArgs) -> Result<()> {
    let device = backend::open(args.backend)?;
    let what = args.model.display().to_string();
    let mut sampler = Sampler::load(&read_model(&args.model)?, &what, &device)?;
    sampler.set_matmul_convs(args.backend.prefers_matmul_convs());
    let judge = match &args.classifier {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| WebganError::io(path, e))?;
            FaceJudge::load(&bytes, &path.display().to_string(), &device)?
        }
        None => FaceJudge::shipped(&device)?,
    };
    judge.fits(&sampler)?;
    let started = std::time::Instant::now();
    let (found, source) = match args.recompute {
        Some(n) => (
            attributes::compute(&sampler, &judge, n, args.age_fit)?,
            format!(
                "fitted now from {n} latents ({:?} age fit) in {:.1} s",
                args.age_fit,
                started.elapsed().as_secs_f64()
            ),
        ),
        None => {
            let (a, computed) = attributes::of_model(&sampler, Some(&judge))?;
            let source = if computed {
                format!("the file stores none: fitted from {} latents", a.samples)
            } else {
                format!("stored, fitted from {} latents", a.samples)
            };
            (a, source)
        }
    };
    println!("{what}: attribute directions {source}");
    for a in &found.attributes {
        let cos = found
            .attributes
            .iter()
            .filter(|b| b.name != a.name)
            .map(|b| {
                let d: f32 = a.normal.iter().zip(&b.normal).map(|(x, y)| x * y).sum();
                format!("{d:.3} with {}", b.name)
            })
            .collect::<Vec<_>>()
            .join(", ");
        println!(
            "  {:<8} {:<22} fit {}, held-out {:.3}; its boundary normal's cosine {cos}",
            a.name,
            a.label(),
            a.fit,
            a.held_out_fit
        );
    }
    let started = std::time::Instant::now();
    let report = measure::measure(&sampler, &judge, &found, args.faces, args.seed, &STEPS)?;
    println!(
        "{} random faces (seed {}), moved by {:?} along each direction, read by {}:",
        report.faces, report.seed, report.steps, judge.name
    );
    for s in &report.sliders {
        let list = |v: &[f64]| {
            v.iter()
                .map(|x| format!("{x:.3}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        println!("  along {}:", s.attribute);
        println!(
            "    mean age bracket (0 = 0-12 … 4 = 61+)  {}",
            list(&s.mean_age)
        );
        println!(
            "    mean P(male)                          {}",
            list(&s.mean_male)
        );
        println!(
            "    Spearman of its own curve with the step {:.3}; from -3 to +3 its own attribute \
             moves {:.2} SD per face, the other {:.2} SD: {:.1}x; on average {:.2} SD against \
             {:.2} SD: {:.1}x",
            s.spearman,
            s.own_change,
            s.other_change,
            s.selectivity,
            s.own_shift,
            s.other_shift,
            s.shift_selectivity
        );
        if s.attribute == "gender" {
            println!(
                "    faces carried across P(male) = 0.5, female at -3 to male at +3: {:.0}%",
                s.gender_flips * 100.0
            );
        }
    }
    eprintln!("measured in {:.1} s", started.elapsed().as_secs_f64());
    println!("{}", serde_json::to_string(&report).unwrap_or_default());
    Ok(())
}
