//! Statuses: a file's life in the store, its review workflow, and a scan run's state.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! string_enum {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $text),+ }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($ty::$variant),)+
                    _ => Err(format!(
                        "unknown {} {s:?}; expected one of {}",
                        stringify!($ty),
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}

/// What the last scan saw of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    /// Present, and its schema was read.
    Active,
    /// Present, but its schema could not be read (see the record's `error`).
    Error,
    /// Gone from the store; the record is kept, never hard-deleted.
    Deleted,
}
string_enum!(FileStatus { Active => "active", Error => "error", Deleted => "deleted" });

/// The review workflow of a catalog entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    Pending,
    Approved,
    Rejected,
    Published,
    Archived,
}
string_enum!(ApprovalStatus {
    Pending => "pending",
    Approved => "approved",
    Rejected => "rejected",
    Published => "published",
    Archived => "archived",
});

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot move from {from} to {to}; from {from} the allowed next statuses are: {allowed}")]
pub struct InvalidTransition {
    pub from: ApprovalStatus,
    pub to: ApprovalStatus,
    pub allowed: String,
}

impl ApprovalStatus {
    /// The statuses one may move to from here.
    ///
    /// pending → approved | rejected; rejected → pending (resubmitted) | archived;
    /// approved → published | rejected | archived; published → archived;
    /// archived → pending (restored for a new review).
    pub fn next(self) -> &'static [ApprovalStatus] {
        use ApprovalStatus::*;
        match self {
            Pending => &[Approved, Rejected, Archived],
            Approved => &[Published, Rejected, Archived],
            Rejected => &[Pending, Archived],
            Published => &[Archived],
            Archived => &[Pending],
        }
    }

    pub fn check_transition(self, to: ApprovalStatus) -> Result<(), InvalidTransition> {
        if self.next().contains(&to) {
            Ok(())
        } else {
            Err(InvalidTransition {
                from: self,
                to,
                allowed: self.next().iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
            })
        }
    }
}

/// A scan run's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanStatus {
    /// Waiting in the job queue for a worker.
    Queued,
    Running,
    /// Finished; every listed object was handled (some may have per-file errors).
    Succeeded,
    /// Stopped early: the store could not be listed or the catalog could not be written.
    Failed,
    /// Stopped by a person (`POST /api/scans/{id}/cancel`) before it finished.
    Cancelled,
}
string_enum!(ScanStatus {
    Queued => "queued",
    Running => "running",
    Succeeded => "succeeded",
    Failed => "failed",
    Cancelled => "cancelled",
});

impl ScanStatus {
    /// Queued or running: the run has not ended yet.
    pub fn is_active(self) -> bool {
        matches!(self, ScanStatus::Queued | ScanStatus::Running)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_reject_unknown_text() {
        for s in ApprovalStatus::ALL {
            assert_eq!(s.as_str().parse::<ApprovalStatus>(), Ok(*s));
        }
        let err = "done".parse::<ApprovalStatus>().unwrap_err();
        assert!(err.contains("pending, approved"), "{err}");
        assert_eq!(serde_json::to_string(&FileStatus::Deleted).unwrap(), "\"deleted\"");
    }

    #[test]
    fn workflow_allows_review_and_forbids_skipping_it() {
        use ApprovalStatus::*;
        assert!(Pending.check_transition(Approved).is_ok());
        assert!(Pending.check_transition(Rejected).is_ok());
        assert!(Approved.check_transition(Published).is_ok());
        let err = Pending.check_transition(Published).unwrap_err();
        assert!(err.to_string().contains("approved, rejected, archived"), "{err}");
        assert!(Rejected.check_transition(Approved).is_err());
        assert!(Approved.check_transition(Approved).is_err());
    }
}
