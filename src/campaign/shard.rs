//! [`Shard`]: `I/N`, from a flag or from the environment (Slurm job arrays).

use thiserror::Error;

/// Why a shard specification is invalid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ShardError {
    /// Not of the form `I/N` with integers `1 <= I <= N`.
    #[error("invalid shard {0:?}: expected I/N with integers 1 <= I <= N (1-based, e.g. --shard 2/8)")]
    Malformed(String),
    /// An environment variable the shard is read from is unset or not an integer.
    #[error(
        "environment variable {name} is {}: set it (Slurm sets SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT in an sbatch --array job) or name others with --shard-env ID_VAR,COUNT_VAR",
        value.as_ref().map_or("unset".to_string(), |v| format!("{v:?}, not a positive integer"))
    )]
    Environment {
        /// The variable.
        name: String,
        /// Its value (`None` if unset).
        value: Option<String>,
    },
}

/// Shard `index` of `count` (1-based): the items `k` with `k % count == index - 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// `I`, in `1..=count`.
    pub index: usize,
    /// `N >= 1`.
    pub count: usize,
}

impl Shard {
    /// The whole run (`1/1`).
    pub const ALL: Shard = Shard { index: 1, count: 1 };

    /// `I/N`, validated.
    ///
    /// ```
    /// use reluflow::campaign::Shard;
    /// let s = Shard::new(2, 4).unwrap();
    /// assert!(s.selects(1) && s.selects(5) && !s.selects(0));
    /// assert!(Shard::new(0, 4).is_err() && Shard::new(5, 4).is_err());
    /// ```
    pub fn new(index: usize, count: usize) -> Result<Self, ShardError> {
        if count == 0 || index == 0 || index > count {
            return Err(ShardError::Malformed(format!("{index}/{count}")));
        }
        Ok(Self { index, count })
    }

    /// Parses `I/N`.
    ///
    /// ```
    /// use reluflow::campaign::Shard;
    /// assert_eq!(Shard::parse("3/8").unwrap(), Shard::new(3, 8).unwrap());
    /// assert!(Shard::parse("3").is_err() && Shard::parse("0/8").is_err() && Shard::parse("a/b").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, ShardError> {
        let bad = || ShardError::Malformed(text.to_string());
        let (i, n) = text.trim().split_once('/').ok_or_else(bad)?;
        let i = i.trim().parse::<usize>().map_err(|_| bad())?;
        let n = n.trim().parse::<usize>().map_err(|_| bad())?;
        Self::new(i, n).map_err(|_| bad())
    }

    /// From environment variables holding `I` and `N` (Slurm's `SLURM_ARRAY_TASK_ID` and
    /// `SLURM_ARRAY_TASK_COUNT` by default). Slurm's task IDs are those of `--array`: with
    /// `--array=1-N` they are `1..=N`, as this expects.
    pub fn from_env(index_var: &str, count_var: &str) -> Result<Self, ShardError> {
        let read = |name: &str| -> Result<usize, ShardError> {
            let value = std::env::var(name).ok();
            value
                .as_deref()
                .and_then(|v| v.trim().parse().ok())
                .ok_or_else(|| ShardError::Environment { name: name.to_string(), value: value.clone() })
        };
        let (i, n) = (read(index_var)?, read(count_var)?);
        Self::new(i, n)
    }

    /// Whether item `k` (0-based) is this shard's.
    pub fn selects(&self, k: usize) -> bool {
        k % self.count == self.index - 1
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}
