//! The paper's experiments reproduced (`reluflow reproduce`): the numbers, not the pictures.

use crate::common::TIMELINE_JSON;
use reluflow::experiments::measures::PLATEAU_BAND;
use reluflow::plot::text_width;
use reluflow::reproduce::{self, PAPER_STEP};

// ---------------------------------------------------------------------------------------------
// Reading the figures: the texts of an SVG with their extents from font metrics
// ---------------------------------------------------------------------------------------------

/// One `<text>` of an SVG figure: its content and its box in canvas pixels, from the anchor,
/// `dy` and `font-size` attributes plotters writes and the DejaVu Sans advance widths
/// ([`text_width`]; `sans-serif` is DejaVu Sans on Debian, wider than Arial or Liberation Sans).
/// Across the text the box is one em: 0.76 em above the baseline, 0.24 em below.
#[derive(Debug)]
struct TextBox {
    text: String,
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(tag[start..start + tag[start..].find('"')?].to_string())
}

/// The canvas size and the texts of `svg`. A text rotated by `rotate(270, x, y)` (read upwards:
/// the y-axis titles, the event labels) has its box turned: it extends upwards from the anchor,
/// and its glyphs' depth is horizontal.
fn svg_texts(svg: &str) -> ((f64, f64), Vec<TextBox>) {
    let head = &svg[..svg.find('>').unwrap()];
    let size = (attr(head, "width").unwrap().parse().unwrap(), attr(head, "height").unwrap().parse().unwrap());
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find("<text ") {
        rest = &rest[i..];
        let tag_end = rest.find('>').unwrap();
        let tag = &rest[..tag_end];
        let close = rest.find("</text>").unwrap();
        let text = rest[tag_end + 1..close]
            .trim()
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&");
        rest = &rest[close..];
        let num = |name: &str| attr(tag, name).unwrap().parse::<f64>().unwrap();
        let (x, y, px) = (num("x"), num("y"), num("font-size"));
        let w = text_width(&text, px);
        // along the text: from the anchor, its start (a0) and end (a1) offsets
        let (a0, a1) = match attr(tag, "text-anchor").as_deref() {
            Some("middle") => (-w / 2.0, w / 2.0),
            Some("end") => (-w, 0.0),
            _ => (0.0, w),
        };
        // across it (downwards when upright): the baseline, from plotters' dy of 0.76em (top
        // anchor), 0.5ex (centre), -0.5ex (bottom), with 1 ex ~ 0.55 em; glyphs from 0.76 em
        // above the baseline to 0.24 em below
        let baseline = match attr(tag, "dy").as_deref() {
            Some("0.76em") => 0.76 * px,
            Some("0.5ex") => 0.275 * px,
            Some("-0.5ex") => -0.275 * px,
            other => panic!("unexpected dy {other:?} in {tag}"),
        };
        let (c0, c1) = (baseline - 0.76 * px, baseline + 0.24 * px);
        let b = match attr(tag, "transform") {
            None => TextBox { text, x0: x + a0, x1: x + a1, y0: y + c0, y1: y + c1 },
            // rotate(270) maps an offset (along, across) to (across, -along)
            Some(t) if t.starts_with("rotate(270,") => TextBox { text, x0: x + c0, x1: x + c1, y0: y - a1, y1: y - a0 },
            Some(t) => panic!("unexpected transform {t}"),
        };
        out.push(b);
    }
    (size, out)
}

/// The layout rules of every figure: every text inside the canvas, no two texts overlapping.
pub(crate) fn assert_texts_fit_and_do_not_overlap(name: &str, svg: &str) {
    let ((width, height), texts) = svg_texts(svg);
    assert!(!texts.is_empty(), "{name}: no text");
    for t in &texts {
        assert!(
            t.x0 >= 0.0 && t.x1 <= width && t.y0 >= 0.0 && t.y1 <= height,
            "{name}: {t:?} runs past the {width} x {height} canvas"
        );
    }
    for (i, a) in texts.iter().enumerate() {
        for b in &texts[i + 1..] {
            let apart = a.x1 <= b.x0 || b.x1 <= a.x0 || a.y1 <= b.y0 || b.y1 <= a.y0;
            assert!(apart, "{name}: {a:?} overlaps {b:?}");
        }
    }
}

/// The decades labelled on a log axis (`1e-27` -> `-27`).
fn decade_labels(svg: &str) -> Vec<i32> {
    let (_, texts) = svg_texts(svg);
    texts.iter().filter_map(|t| t.text.strip_prefix("1e").and_then(|k| k.parse().ok())).collect()
}

/// The log axis labels decades at a regular stride from the smallest decade above the smallest
/// loss: the lowest label is at most one decade above `smallest_loss` (before, labels stopped at
/// 1e-15 while the curve went to 1e-27).
fn assert_log_axis_reaches(name: &str, svg: &str, smallest_loss: f64) {
    let labels = decade_labels(svg);
    let lowest = *labels.iter().min().unwrap_or_else(|| panic!("{name}: no decade labels"));
    assert!(
        f64::from(lowest) <= smallest_loss.log10() + 1.0,
        "{name}: lowest label 1e{lowest}, loss {smallest_loss:e}"
    );
    let mut sorted = labels.clone();
    sorted.sort();
    assert!(sorted.windows(3).all(|w| w[2] - w[1] == w[1] - w[0]), "{name}: irregular decade labels {sorted:?}");
}

#[test]
fn x5_toy_reproduces_section_5_numbers() {
    let (n, figures) = reproduce::toy(20_000).unwrap();
    assert_eq!(n.step, PAPER_STEP, "the paper code's torch lr 1e-3 on MSELoss = 2L is a step 2e-3 on L");
    // Fact 1: the plateau sits at (1/2n) sum_{y<0} y^2 = 0.25, within the detection band
    assert_eq!(n.plateau_level_theory, 0.25);
    let level = n.plateau_level_measured.expect("a plateau");
    assert!((level / 0.25 - 1.0).abs() <= PLATEAU_BAND, "plateau at {level}");
    let (first, second) = (n.leaves_first_saddle.unwrap(), n.leaves_second_saddle.unwrap());
    assert!(first < second && second < 20_000, "saddles left at iterations {first}, {second}");
    assert!(n.final_loss < 1e-10, "final loss {:e}", n.final_loss);
    // two kinks, at the data points -0.5 and 2: a kink can sit off a data point only by about
    // |residual| / |slope change| ~ sqrt(2 n L) ~ 1e-7 at the final loss, far below 1e-4
    assert_eq!(n.final_kinks.len(), 2, "kinks {:?}", n.final_kinks);
    assert!((n.final_kinks[0] + 0.5).abs() < 1e-4 && (n.final_kinks[1] - 2.0).abs() < 1e-4);
    // Proposition 1 for orthogonal non-unit inputs: 2(1/sqrt5 + 1/sqrt1.25)
    assert!((n.min_norm_sq - 2.0 * (1.0 / 5f64.sqrt() + 1.0 / 1.25f64.sqrt())).abs() < 1e-12);
    assert!((n.final_param_norm_sq - n.min_norm_sq).abs() < 1e-4);
    let files: Vec<&str> = figures.iter().map(|f| f.file.as_str()).collect();
    assert_eq!(files, ["toy_loss.svg", "toy_network.svg"]);
    assert!(figures.iter().all(|f| f.svg.starts_with("<svg")));
    assert!(figures[0].svg.contains("iteration") && figures[1].svg.contains("h(t)"), "axes are labelled");
    for f in &figures {
        assert_texts_fit_and_do_not_overlap(&f.file, &f.svg);
    }
    assert_log_axis_reaches("toy_loss.svg", &figures[0].svg, n.final_loss);
    // one legend marker per neuron sign
    assert!(figures[1].svg.contains("s_j = +1") && figures[1].svg.contains("s_j = -1"));
}

#[test]
fn xa_appendix_a1_small_init_is_sparse_with_a_saddle_and_large_init_is_lazy() {
    let (runs, figures) = reproduce::nonorthogonal(1_000_000, 20_000).unwrap();
    let (small, large) = (&runs[0], &runs[1]);
    // small initialisation: zero loss, at least one intermediate plateau, at most n = 5 kinks
    assert!(small.final_loss < 1e-10, "small init final loss {:e}", small.final_loss);
    assert!(small.plateau.is_some(), "a saddle-to-saddle plateau");
    let k_small = small.kinks.as_ref().unwrap().len();
    assert!(k_small <= 5, "{k_small} kinks");
    assert!(small.relative_movement > 1e3, "the rich regime moves the weights by orders of magnitude");
    // large initialisation (lazy): zero loss, no plateau, weights move less than their own size,
    // and the interpolator is not sparse (more kinks than data points)
    assert!(large.final_loss < 1e-10);
    assert!(large.plateau.is_none(), "{:?}", large.plateau);
    assert!(large.relative_movement < 1.0, "movement {}", large.relative_movement);
    assert!(large.kinks.as_ref().unwrap().len() > 5);
    // the figures: both loss curves and the networks (neurons at their kinks), readable
    let files: Vec<&str> = figures.iter().map(|f| f.file.as_str()).collect();
    assert_eq!(files, ["nonorthogonal_small_loss.svg", "nonorthogonal_large_loss.svg", "nonorthogonal_network.svg"]);
    for f in &figures {
        assert_texts_fit_and_do_not_overlap(&f.file, &f.svg);
    }
    assert_log_axis_reaches(files[0], &figures[0].svg, small.final_loss);
}

#[test]
fn xa_appendix_a2_reduced_converges_through_a_plateau_to_nearly_two_directions() {
    // the reduced run, claim XA's instance (n = 16, d = 64, m = 40, step 1e-2 to time 600); the
    // full one is `reluflow reproduce highdim --full`
    let (n, figures) = reproduce::highdim(true, 60_000).unwrap();
    assert_eq!(n.step, reluflow::experiments::A2_STEP);
    assert!(n.final_loss < 1e-10, "final loss {:e}", n.final_loss);
    assert!(n.plateau.is_some(), "an intermediate plateau");
    // the paper reports ~80% of the variance in two principal components: closer to a 2-neuron
    // network (100%) than to isotropic weights (2/min(m, d) = 3%); we assert more than half
    let evr = n.explained_variance_top2.unwrap();
    assert!(evr > 0.5, "top-2 explained variance {evr}");
    assert_texts_fit_and_do_not_overlap(&figures[0].file, &figures[0].svg);
    assert_log_axis_reaches(&figures[0].file, &figures[0].svg, n.final_loss);
}

fn reluflow(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_reluflow")).args(args).output().unwrap()
}

/// The GD timeline of the toy run past convergence (the loss reaches ~1e-27): the log axis is
/// labelled down there, the 11 event labels and 5 predicted times (clustered between t = 1.4 and
/// 58 of 120) are readable: none overlaps another text, none runs past the canvas.
#[test]
fn gd_timeline_figure_labels_its_log_axis_and_events_readably() {
    let dir = Scratch::new("timeline_gd_figure");
    let svg = dir.path("gd.svg");
    let out = reluflow(&[
        "timeline", "--data", "toy", "--lambda", "1e-8", "--step", "2e-3", "--steps", "60000", "--json", "--svg", &svg,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let final_loss = v["final_loss"].as_f64().unwrap();
    assert!(final_loss < 1e-20, "the run goes far below the old last label 1e-15: {final_loss:e}");
    let text = std::fs::read_to_string(&svg).unwrap();
    assert_texts_fit_and_do_not_overlap("gd timeline", &text);
    assert_log_axis_reaches("gd timeline", &text, final_loss);
    for (name, e) in [("converged", &v["converged"]), ("plateau_exit", &v["plateau_exit"])] {
        assert!(e.is_object() && text.contains(&format!(">\n{name}\n<")), "{name} is labelled");
    }
}

#[test]
fn timeline_command_prints_the_events_as_json_and_draws_the_svg() {
    let dir = std::env::temp_dir().join(format!("reluflow_timeline_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("t.svg");
    let mut args = TIMELINE_JSON.to_vec();
    args.extend(["--svg", svg.to_str().unwrap()]);
    let out = reluflow(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in
        ["plateau_level", "u_plus_half", "plateau_entry", "plateau_exit", "u_minus_half", "converged", "predicted"]
    {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    let t = v["converged"]["time"].as_f64().unwrap();
    assert!((v["converged"]["normalised"].as_f64().unwrap() - t / 16.0 / 10f64.ln()).abs() < 1e-9);
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.contains("loss L = 1/(2n)"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn reproduce_toy_writes_the_figures_and_numbers() {
    let dir = std::env::temp_dir().join(format!("reluflow_reproduce_{}", std::process::id()));
    let out = reluflow(&["reproduce", "toy", "--out", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for f in ["toy.json", "toy_loss.svg", "toy_network.svg"] {
        assert!(dir.join(f).exists(), "{f}");
    }
    let n: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("toy.json")).unwrap()).unwrap();
    assert_eq!(n["final_kinks"].as_array().unwrap().len(), 2);
    std::fs::remove_dir_all(&dir).ok();
    // an output directory that cannot be created is an error, not a panic
    let bad = reluflow(&["reproduce", "toy", "--out", "/proc/reluflow-cannot-write-here"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("cannot create"));
}

// ---------------------------------------------------------------------------------------------
// The paper's sign convention in `timeline` (r = |D+|/|D-| > 1 w.l.o.g., Section 4.1)
// ---------------------------------------------------------------------------------------------

/// A scratch directory under the system temp dir, removed on drop.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("reluflow_{name}_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
    fn file(&self, name: &str, contents: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, contents).unwrap();
        path.to_str().unwrap().to_string()
    }
    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `I_3` with labels `y`, as a JSON data file.
fn identity_data(dir: &Scratch, y: [f64; 3]) -> String {
    dir.file("data.json", &format!(r#"{{"x": [[1,0,0],[0,1,0],[0,0,1]], "y": [{}, {}, {}]}}"#, y[0], y[1], y[2]))
}

/// The issue's run: `I_3`, `m = 64`, `lambda = 1e-20`, flow to loss `1e-12`.
fn timeline_on(data: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "timeline",
        "--data",
        data,
        "--width",
        "64",
        "--lambda",
        "1e-20",
        "--method",
        "flow",
        "--until-loss",
        "1e-12",
    ];
    args.extend(extra);
    reluflow(&args)
}

/// `y = (0.5, -1.5, 0.3)` on `I_3`: `|D+| = sqrt(0.34)/3 < |D-| = 0.5`, so `r < 1` and the paper
/// swaps every label sign first (Section 4.1). After the swap the labels are `(-0.5, 1.5, -0.3)`:
/// the plateau of Fact 1 is at `(1/2n) sum_{y<0} y^2 = (0.25 + 0.09)/6 = 0.0567` (not at
/// `1.5^2/6 = 0.375`, the level before the swap, which the loss only passes through), the
/// predicted times exist (`epsilon_max` is defined once `r > 1`), and every output says the signs
/// were swapped. The observed plateau is the real one: entered by Lemma 3's bound
/// `t2 <= -(1+3eps) ln(lambda)/|D+|` (at `eps = epsilon_max`), and lasting at least half of the
/// predicted plateau duration `-ln(lambda)(1/|D-| - 1/|D+|)` (only its order of magnitude is
/// checked: at `lambda = 1e-20` the `eps` corrections are not small, `lambda^eps = 0.45`). Read
/// without the swap, the loss only passes through `0.375` for a time below 1.
#[test]
fn timeline_swaps_the_label_signs_when_d_minus_is_longer_than_d_plus() {
    let dir = Scratch::new("timeline_swap");
    let data = identity_data(&dir, [0.5, -1.5, 0.3]);
    let svg = dir.path("t.svg");
    let out = timeline_on(&data, &["--json", "--svg", &svg]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["labels_swapped"], serde_json::Value::Bool(true), "{v}");
    let level = v["plateau_level"].as_f64().unwrap();
    assert!((level - (0.25 + 0.09) / 6.0).abs() < 1e-15, "plateau level {level}");
    let p = &v["predicted"];
    assert!(p.is_object(), "predicted times once r > 1: {v}");
    // after the swap |D+| = 1.5/3 and |D-| = sqrt(0.34)/3
    let ln_inv = 20.0 * 10f64.ln();
    assert!((p["time_scale_plus"].as_f64().unwrap() - ln_inv / 0.5).abs() < 1e-9);
    assert!((p["time_scale_minus"].as_f64().unwrap() - ln_inv / (0.34f64.sqrt() / 3.0)).abs() < 1e-9);
    let entry = v["plateau_entry"]["time"].as_f64().expect("the plateau is entered");
    let exit = v["plateau_exit"]["time"].as_f64().expect("and left");
    let t2_bound = p["t2_bound"].as_f64().unwrap();
    let duration = p["time_scale_minus"].as_f64().unwrap() - p["time_scale_plus"].as_f64().unwrap();
    assert!(entry <= t2_bound && exit - entry >= 0.5 * duration, "plateau [{entry}, {exit}], t2 <= {t2_bound}");
    // the svg says it, and draws the swapped plateau level
    let text = std::fs::read_to_string(&svg).unwrap();
    assert_texts_fit_and_do_not_overlap("timeline.svg", &text);
    assert!(text.contains("swapped"), "the figure says the signs were swapped");
    assert!(text.contains("= 0.05667") && !text.contains("= 0.3750"), "the figure draws the swapped level");
    // so does the table
    let table = timeline_on(&data, &[]);
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(table.contains("swapped") && table.contains("plateau level 0.056667"), "{table}");
}

/// Labels of one sign: there is no negative phase (no `S-,1` to speak of, no plateau: the loss goes
/// from the saddle at 0 straight to 0), so its events, its set size, the plateau level and the
/// predicted times (which divide by `|D-|`) are "not applicable": `null` with a reason in JSON and
/// `n/a` in the table, never a time 0 or a level `-0`. All-negative labels are swapped first and
/// read like all-positive ones.
#[test]
fn timeline_reports_the_phases_of_a_missing_label_sign_as_not_applicable() {
    let dir = Scratch::new("timeline_one_sign");
    for (y, swapped) in [([0.5, 1.5, 0.3], false), ([-0.5, -1.5, -0.3], true)] {
        let data = identity_data(&dir, y);
        let out = timeline_on(&data, &["--json"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["labels_swapped"], serde_json::Value::Bool(swapped), "{v}");
        let na = &v["not_applicable"];
        for key in [
            "s_minus_1",
            "plateau_level",
            "aligned_minus",
            "deactivated_plus",
            "deactivated_minus",
            "plateau_entry",
            "plateau_exit",
            "u_minus_half",
            "u_minus_fitted",
            "predicted",
        ] {
            assert!(v[key].is_null(), "{key} = {} for labels {y:?}", v[key]);
            assert!(na[key].as_str().is_some_and(|r| r.contains("negative label")), "reason for {key}: {na}");
        }
        // the positive phase happens and is reported
        assert!(v["u_plus_half"]["time"].as_f64().is_some_and(|t| t > 0.0), "{v}");
        assert!(v["converged"]["time"].as_f64().is_some(), "{v}");
        let table = String::from_utf8(timeline_on(&data, &[]).stdout).unwrap();
        assert!(!table.contains("-0.000000") && table.contains("n/a") && table.contains("not applicable"), "{table}");
    }
}

/// The swap is a symmetry of the dynamics, not an approximation: negating every label and every
/// `a_j` maps the gradient-descent iterates exactly (bit for bit: `h -> -h`, `h - y -> -(h - y)`,
/// the `w_j` updates `a_j (h - y) x` unchanged). So the timeline of a run on labels with `r < 1`,
/// read in the paper's convention, must equal the timeline of the mirrored run on the negated
/// labels (which need no swap) exactly, event for event.
#[test]
fn timeline_of_a_run_with_r_below_one_equals_the_timeline_of_its_mirror_image() {
    use reluflow::network::Model;
    use reluflow::params::{Params, ScaledParams};
    use reluflow::solver::{
        StopRule,
        gd::{GdConfig, run_gd},
    };
    use reluflow::timeline::phase_timeline;
    use reluflow::trajectory::{Recorder, SampleSchedule};
    let x = vec![vec![1.0, 0.0, 0.0], vec![0.0, 1.0, 0.0], vec![0.0, 0.0, 1.0]];
    let data = reluflow::Dataset::new(x, vec![0.5, -1.5, 0.3]).unwrap();
    assert!(reluflow::theory::needs_label_flip(&data));
    let mirror_data = data.with_flipped_labels();
    let lambda = 1e-8;
    let init = reluflow::Instance::balanced(data.clone(), 32, lambda, 3).initialisation().unwrap().params;
    let p = init.to_params();
    let mirror = ScaledParams::from_params(&Params { a: p.a.iter().map(|a| -a).collect(), w: p.w.clone() });
    let cfg = GdConfig { step: 1e-2, stop: StopRule { max_steps: Some(30_000), ..Default::default() } };
    let timeline = |data: &reluflow::Dataset, theta0: &ScaledParams| {
        let mut rec = Recorder::new(data, SampleSchedule::default());
        run_gd(data, Model::relu().validate().unwrap(), theta0, &cfg, &mut rec).unwrap();
        phase_timeline(data, lambda, &rec.finish()).unwrap()
    };
    let (a, b) = (timeline(&data, &ScaledParams::from_params(&p)), timeline(&mirror_data, &mirror));
    assert!(b.converged.is_some() && b.plateau_exit.is_some(), "the mirrored run goes through both phases");
    assert_eq!(a.events(), b.events());
    assert_eq!((a.s_plus_1, a.s_minus_1, a.plateau_level), (b.s_plus_1, b.s_minus_1, b.plateau_level));
    assert_eq!(a.predicted, b.predicted);
}
