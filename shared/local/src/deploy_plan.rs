//! How CodeDeploy's Server deployment configurations pace a fleet: how many instances may be
//! out of service at once, and how many must succeed for the deployment to succeed.

use baton_core::model::{DeploymentConfig, HealthyHostsType};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Instances deployed at the same time.
    pub batch: usize,
    /// Successful instances the deployment needs; it stops as soon as that becomes impossible.
    pub min_healthy: usize,
}

impl Plan {
    pub fn new(config: DeploymentConfig, n: usize) -> Self {
        let n = n.max(1);
        let min_healthy = match config {
            // "succeeds if the revision is deployed to all instances" — except that a failure on
            // the last instance still lets OneAtATime succeed (CodeDeploy user guide).
            DeploymentConfig::OneAtATime => n.saturating_sub(1).max(1).min(n),
            DeploymentConfig::HalfAtATime => n.div_ceil(2),
            DeploymentConfig::AllAtOnce => usize::from(n > 0),
            DeploymentConfig::MinimumHealthyHosts(m) => match m.kind {
                HealthyHostsType::HostCount => m.value as usize,
                HealthyHostsType::FleetPercent => (n * m.value as usize).div_ceil(100),
            },
            // The replacement fleet of a traffic-shifting deployment takes no traffic until
            // it is all installed, and every instance of it must be.
            DeploymentConfig::TrafficShift(_) => n,
        };
        let batch = match config {
            DeploymentConfig::OneAtATime => 1,
            DeploymentConfig::HalfAtATime => (n / 2).max(1),
            DeploymentConfig::AllAtOnce | DeploymentConfig::TrafficShift(_) => n,
            DeploymentConfig::MinimumHealthyHosts(_) => n.saturating_sub(min_healthy).max(1),
        };
        Plan {
            batch,
            min_healthy: min_healthy.min(n),
        }
    }

    /// Whether the deployment must stop: with `failed` failures so far, can it still reach
    /// `min_healthy` successes out of `n`? OneAtATime stops at the first failure on any instance
    /// but the last.
    pub fn must_stop(&self, config: DeploymentConfig, n: usize, failed: usize, done: usize) -> bool {
        match config {
            DeploymentConfig::OneAtATime => failed > 0 && (done < n || n == 1),
            _ => n - failed < self.min_healthy,
        }
    }

    /// The verdict once every instance was tried.
    pub fn succeeded(&self, config: DeploymentConfig, n: usize, failed: usize) -> bool {
        !self.must_stop(config, n, failed, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_core::model::MinimumHealthyHosts;

    #[test]
    fn predefined_configs() {
        assert_eq!(Plan::new(DeploymentConfig::OneAtATime, 3), Plan { batch: 1, min_healthy: 2 });
        assert_eq!(Plan::new(DeploymentConfig::HalfAtATime, 5), Plan { batch: 2, min_healthy: 3 });
        assert_eq!(Plan::new(DeploymentConfig::AllAtOnce, 4), Plan { batch: 4, min_healthy: 1 });
    }

    #[test]
    fn custom_minimum_healthy_hosts() {
        let c = DeploymentConfig::MinimumHealthyHosts(MinimumHealthyHosts {
            kind: HealthyHostsType::FleetPercent,
            value: 60,
        });
        assert_eq!(Plan::new(c, 5), Plan { batch: 2, min_healthy: 3 });
        let c = DeploymentConfig::MinimumHealthyHosts(MinimumHealthyHosts {
            kind: HealthyHostsType::HostCount,
            value: 1,
        });
        assert_eq!(Plan::new(c, 4), Plan { batch: 3, min_healthy: 1 });
    }

    #[test]
    fn one_at_a_time_stops_at_first_failure_except_the_last() {
        let c = DeploymentConfig::OneAtATime;
        let p = Plan::new(c, 3);
        assert!(p.must_stop(c, 3, 1, 1));
        assert!(!p.must_stop(c, 3, 1, 3), "a failure on the last instance still succeeds");
        assert!(Plan::new(c, 1).must_stop(c, 1, 1, 1));
    }

    #[test]
    fn half_at_a_time_tolerates_a_minority() {
        let c = DeploymentConfig::HalfAtATime;
        let p = Plan::new(c, 4);
        assert!(!p.must_stop(c, 4, 2, 4));
        assert!(p.must_stop(c, 4, 3, 4));
    }
}
