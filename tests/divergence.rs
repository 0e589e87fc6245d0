//! A training run that diverges (its weights poisoned with NaN through the `test-hooks`
//! feature, as an exploding run would) rolls back and says why. Needs that feature:
//! `cargo test --features test-hooks` (scripts/test.sh passes it).

mod common;

use webgan::block_on;
use webgan::run::TrainingRun;
use webgan::spec::TrainSpec;

fn spec(json: &str) -> TrainSpec {
    TrainSpec::from_json(json).unwrap()
}

#[test]
fn divergence_rolls_back_to_the_last_good_weights_and_says_why() {
    let device = common::cpu();
    // Without and with the generator's moving average (which the samples come from).
    for json in [
        r#"{"preset":"ring"}"#,
        r#"{"preset":"ring","ema_decay":0.9}"#,
    ] {
        let mut t = TrainingRun::new(&spec(json), None, &device).unwrap();
        block_on(t.step(5)).unwrap();
        let good = block_on(t.samples()).unwrap();
        t.inject_nan();
        let e = block_on(t.step(3)).unwrap_err();
        assert_eq!(e.kind(), "diverged");
        let e = e.to_string();
        assert!(e.contains("diverged") && e.contains("NaN"), "{e}");
        assert_eq!(t.steps(), 5, "the step count rolls back too");
        assert_eq!(block_on(t.samples()).unwrap(), good, "{json}");
        // The weights are the good ones: training can go on from them.
        let v = block_on(t.step(2)).unwrap();
        assert!(v.d_loss.is_finite() && t.steps() == 7);
    }
}
