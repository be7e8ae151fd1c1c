//! How CodeDeploy's Server deployment configurations pace a fleet: how many instances may be
//! out of service at once, and how many must succeed for the deployment to succeed.

use baton_core::model::{DeploymentConfig, HealthyHostsType};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Instances deployed at the same time.
    pub batch: usize,
    /// Successful instances the deployment needs; it stops as soon as that becomes impossible.
    pub min_healthy: usize,
}

impl Plan {
    pub(crate) fn new(config: DeploymentConfig, n: usize) -> Self {
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
    pub(crate) fn must_stop(&self, config: DeploymentConfig, n: usize, failed: usize, done: usize) -> bool {
        match config {
            DeploymentConfig::OneAtATime => failed > 0 && (done < n || n == 1),
            _ => n - failed < self.min_healthy,
        }
    }

    /// The verdict once every instance was tried.
    pub(crate) fn succeeded(&self, config: DeploymentConfig, n: usize, failed: usize) -> bool {
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

    /// Every configuration on groups of 1, 2, 3, 5 and 10: (instances at a time, successes
    /// needed), by CodeDeploy's rules — HalfAtATime deploys to half rounded down and needs half
    /// rounded up; FLEET_PERCENT rounds the healthy count up; a traffic-shifting group's
    /// replacement fleet is installed whole.
    #[test]
    fn every_configuration_on_groups_of_1_2_3_5_and_10() {
        use baton_core::model::{TrafficRouting, TrafficRoutingType};
        let percent = |value| {
            DeploymentConfig::MinimumHealthyHosts(MinimumHealthyHosts {
                kind: HealthyHostsType::FleetPercent,
                value,
            })
        };
        let hosts = |value| {
            DeploymentConfig::MinimumHealthyHosts(MinimumHealthyHosts {
                kind: HealthyHostsType::HostCount,
                value,
            })
        };
        let canary = DeploymentConfig::TrafficShift(TrafficRouting {
            kind: TrafficRoutingType::TimeBasedCanary,
            percentage: 10,
            interval: baton_core::spec::duration::Span(std::time::Duration::from_secs(300)),
        });
        let table: [(DeploymentConfig, [(usize, usize); 5]); 7] = [
            (DeploymentConfig::OneAtATime, [(1, 1), (1, 1), (1, 2), (1, 4), (1, 9)]),
            (DeploymentConfig::HalfAtATime, [(1, 1), (1, 1), (1, 2), (2, 3), (5, 5)]),
            (DeploymentConfig::AllAtOnce, [(1, 1), (2, 1), (3, 1), (5, 1), (10, 1)]),
            (percent(50), [(1, 1), (1, 1), (1, 2), (2, 3), (5, 5)]),
            (percent(75), [(1, 1), (1, 2), (1, 3), (1, 4), (2, 8)]),
            (hosts(2), [(1, 1), (1, 2), (1, 2), (3, 2), (8, 2)]),
            (canary, [(1, 1), (2, 2), (3, 3), (5, 5), (10, 10)]),
        ];
        for (config, expected) in table {
            for (n, want) in [1, 2, 3, 5, 10].into_iter().zip(expected) {
                let p = Plan::new(config, n);
                assert_eq!((p.batch, p.min_healthy), want, "{config} on {n} instances");
            }
        }
        // When each stops: OneAtATime at the first failure but the last; the others as soon
        // as the successes needed are out of reach.
        let p = Plan::new(DeploymentConfig::OneAtATime, 10);
        assert!(p.must_stop(DeploymentConfig::OneAtATime, 10, 1, 9));
        assert!(p.succeeded(DeploymentConfig::OneAtATime, 10, 1), "the last instance failed");
        let p = Plan::new(DeploymentConfig::HalfAtATime, 5);
        assert!(!p.must_stop(DeploymentConfig::HalfAtATime, 5, 2, 5) && p.must_stop(DeploymentConfig::HalfAtATime, 5, 3, 4));
        let p = Plan::new(DeploymentConfig::AllAtOnce, 3);
        assert!(p.succeeded(DeploymentConfig::AllAtOnce, 3, 2) && !p.succeeded(DeploymentConfig::AllAtOnce, 3, 3));
        let p = Plan::new(canary, 3);
        assert!(!p.succeeded(canary, 3, 1), "every replacement instance must succeed");
        let p = Plan::new(percent(75), 10);
        assert!(p.succeeded(percent(75), 10, 2) && !p.succeeded(percent(75), 10, 3));
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
