//! The data, initial-parameter and model flags of `simulate`, read and validated.

use super::*;

/// Resolves the data flags.
pub fn load_data(args: &DataArgs) -> Result<Dataset, CliError> {
    match (&args.data, &args.random_orthonormal) {
        (Some(_), Some(_)) => Err(CliError::Usage("give either --data or --random-orthonormal, not both".into())),
        (None, None) => Err(CliError::Usage(
            "no data: give --data FILE (.json/.csv), --data toy, or --random-orthonormal N,D".into(),
        )),
        (Some(d), None) if d == "toy" => Ok(generate::toy()),
        (Some(path), None) => Ok(data_io::load(std::path::Path::new(path))?),
        (None, Some(spec)) => {
            let parts: Vec<&str> = spec.split(',').map(str::trim).collect();
            let parse = |s: &str| s.parse::<usize>().ok();
            match parts.as_slice() {
                [n, d] => match (parse(n), parse(d)) {
                    (Some(n), Some(d)) => Ok(generate::random_orthonormal(n, d, &Default::default(), args.data_seed)?),
                    _ => Err(CliError::Usage(format!(
                        "--random-orthonormal {spec}: expected two positive integers N,D (e.g. 8,10)"
                    ))),
                },
                _ => Err(CliError::Usage(format!("--random-orthonormal {spec}: expected N,D (e.g. 8,10)"))),
            }
        }
    }
}

/// Reads `{"a": [...], "w": [[...], ...]}` and checks it against `d`.
pub fn load_params(path: &std::path::Path, d: usize) -> Result<Params, CliError> {
    let p = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| CliError::File {
        action: "read",
        path: p.clone(),
        reason: e.to_string(),
    })?;
    let params: Params =
        serde_json::from_str(&text).map_err(|e| CliError::ParamsFile { path: p.clone(), reason: e.to_string() })?;
    if params.a.is_empty() {
        return Err(CliError::ParamsFile { path: p, reason: "no neurons (a is empty)".into() });
    }
    if params.w.len() != params.a.len() {
        return Err(CliError::ParamsFile {
            path: p,
            reason: format!("{} entries in a but {} rows in w", params.a.len(), params.w.len()),
        });
    }
    for (j, row) in params.w.iter().enumerate() {
        if row.len() != d {
            return Err(CliError::ParamsFile {
                path: p,
                reason: format!("w[{j}] has {} coordinates but the data have d = {d}", row.len()),
            });
        }
    }
    if let Some(v) = params.a.iter().chain(params.w.iter().flatten()).find(|v| !v.is_finite()) {
        return Err(CliError::ParamsFile { path: p, reason: format!("non-finite value {v}") });
    }
    Ok(params)
}

/// The model flags.
pub fn model_of(args: &SimulateArgs) -> Result<crate::network::ValidModel, CliError> {
    let activation = match args.leaky {
        Some(slope) => Activation::Leaky { slope },
        None => Activation::Relu,
    };
    Ok(Model { activation, relu_prime_at_zero: args.relu_prime_at_zero }.validate()?)
}
