//! [`ShardArgs`]: the flags that pick one shard of a run (`--shard I/N`, `--shard-from-env`,
//! `--shard-env ID_VAR,COUNT_VAR`), for every command whose work splits into shards.

use super::CliError;
use crate::campaign::{CampaignError, Shard};
use clap::Args;

/// Slurm's job-array task ID, the default shard index variable of `--shard-from-env`.
pub const SLURM_INDEX_VAR: &str = "SLURM_ARRAY_TASK_ID";
/// Slurm's job-array task count, the default shard count variable of `--shard-from-env`.
pub const SLURM_COUNT_VAR: &str = "SLURM_ARRAY_TASK_COUNT";

/// Which shard of the run to do (none of the flags: the whole run).
#[derive(Debug, Clone, Default, Args)]
pub struct ShardArgs {
    /// Run only shard I of N (1-based): the work items whose number k in the run's fixed order
    /// has k mod N = I - 1. Give every shard the same other flags; `reluflow merge` joins their
    /// --jsonl files into the run's report.
    #[arg(long, value_name = "I/N", conflicts_with_all = ["shard_from_env", "shard_env"])]
    pub shard: Option<String>,
    /// Take the shard from Slurm's SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (in an
    /// `sbatch --array=1-N` job they are I and N).
    #[arg(long, conflicts_with = "shard_env")]
    pub shard_from_env: bool,
    /// Take the shard from the environment variables ID_VAR (I, 1-based) and COUNT_VAR (N).
    #[arg(long, value_name = "ID_VAR,COUNT_VAR")]
    pub shard_env: Option<String>,
}

impl ShardArgs {
    /// The shard the flags name, `None` without any of them; an error naming the fix when
    /// `I/N` is malformed or a variable is unset or not an integer.
    pub fn resolve(&self) -> Result<Option<Shard>, CliError> {
        if let Some(text) = &self.shard {
            return Ok(Some(Shard::parse(text).map_err(CampaignError::from)?));
        }
        if let Some(names) = &self.shard_env {
            let Some((index, count)) =
                names.split_once(',').filter(|(i, n)| !i.trim().is_empty() && !n.trim().is_empty())
            else {
                return Err(CliError::Usage(format!(
                    "--shard-env {names:?}: give the two variable names, index then count, e.g. --shard-env TASK_ID,TASK_COUNT"
                )));
            };
            return Ok(Some(Shard::from_env(index.trim(), count.trim()).map_err(CampaignError::from)?));
        }
        if self.shard_from_env {
            return Ok(Some(Shard::from_env(SLURM_INDEX_VAR, SLURM_COUNT_VAR).map_err(CampaignError::from)?));
        }
        Ok(None)
    }
}
