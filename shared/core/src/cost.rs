//! What one execution costs to orchestrate on AWS, from what it did, beside what CodePipeline V2
//! would charge for the same actions. Builds and deployments themselves (CodeBuild minutes,
//! the instances CodeDeploy installs on) are the same either way and are left out.
//!
//! Prices are list prices in us-east-1 without free tiers, as published on 2026-11-26; every
//! line of the report names the price it used, so a reader can check it.

use serde::Serialize;

/// One price, with the unit it is quoted in.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Price {
    pub usd: f64,
    /// How many units the price is for (1000 transitions, 1 GB-second, …).
    pub per: f64,
    pub unit: &'static str,
}

impl Price {
    const fn new(usd: f64, per: f64, unit: &'static str) -> Self {
        Self { usd, per, unit }
    }

    fn of(&self, quantity: f64) -> f64 {
        self.usd * quantity / self.per
    }
}

/// Step Functions Standard workflows.
pub const STATE_TRANSITIONS: Price = Price::new(0.025, 1000.0, "state transitions");
pub const LAMBDA_REQUESTS: Price = Price::new(0.20, 1_000_000.0, "Lambda requests");
/// Lambda on arm64 (Graviton).
pub const LAMBDA_ARM64: Price = Price::new(0.0000133334, 1.0, "GB-seconds (arm64)");
pub const S3_WRITES: Price = Price::new(0.005, 1000.0, "S3 PUT/LIST requests");
pub const S3_READS: Price = Price::new(0.0004, 1000.0, "S3 GET/HEAD requests");
/// DynamoDB on-demand.
pub const DYNAMODB_WRITES: Price = Price::new(0.625, 1_000_000.0, "DynamoDB write request units");
pub const SCHEDULER: Price = Price::new(1.00, 1_000_000.0, "Scheduler invocations");
/// CodePipeline V2: per action execution minute, each action rounded up to a whole minute;
/// manual approvals are not charged.
pub const CODEPIPELINE_V2: Price = Price::new(0.002, 1.0, "action minutes");

/// Memory of each function in infra/template.yaml (a test keeps them equal), in MB.
pub const FUNCTION_MEMORY_MB: [(&str, u32); 9] = [
    ("trigger", 128),
    ("gate", 128),
    ("source", 512),
    ("build", 128),
    ("deploy", 128),
    ("approval", 128),
    ("bake", 128),
    ("rollback", 128),
    ("events", 512),
];

pub fn memory_mb(function: &str) -> u32 {
    FUNCTION_MEMORY_MB.iter().find(|(f, _)| *f == function).map_or(128, |(_, m)| *m)
}

/// One Lambda invocation: which function, and how long it was billed for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Invocation {
    pub function: String,
    pub billed_ms: u64,
}

/// An action as CodePipeline would bill it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionRun {
    pub name: String,
    pub duration_ms: u64,
    /// Manual approvals are free on CodePipeline.
    pub charged: bool,
}

/// What an execution did, in the units AWS bills.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Usage {
    pub transitions: u64,
    pub invocations: Vec<Invocation>,
    pub s3_writes: u64,
    pub s3_reads: u64,
    pub dynamodb_writes: u64,
    pub timers: u64,
    pub actions: Vec<ActionRun>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostLine {
    pub item: String,
    pub quantity: f64,
    pub price: Price,
    pub usd: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostReport {
    pub baton: Vec<CostLine>,
    pub baton_usd: f64,
    pub codepipeline: Vec<CostLine>,
    pub codepipeline_usd: f64,
}

fn line(item: impl Into<String>, quantity: f64, price: Price) -> CostLine {
    CostLine {
        item: item.into(),
        quantity,
        price,
        usd: price.of(quantity),
    }
}

pub fn estimate(usage: &Usage) -> CostReport {
    let gb_seconds: f64 = usage
        .invocations
        .iter()
        .map(|i| f64::from(memory_mb(&i.function)) / 1024.0 * i.billed_ms as f64 / 1000.0)
        .sum();
    let baton = vec![
        line("Step Functions state transitions", usage.transitions as f64, STATE_TRANSITIONS),
        line("Lambda invocations", usage.invocations.len() as f64, LAMBDA_REQUESTS),
        line("Lambda duration", gb_seconds, LAMBDA_ARM64),
        line("S3 writes (bundles, manifests, last-good)", usage.s3_writes as f64, S3_WRITES),
        line("S3 reads", usage.s3_reads as f64, S3_READS),
        line(
            "DynamoDB writes (parked tokens, stage locks)",
            usage.dynamodb_writes as f64,
            DYNAMODB_WRITES,
        ),
        line("Scheduler timers", usage.timers as f64, SCHEDULER),
    ];
    let codepipeline: Vec<CostLine> = usage
        .actions
        .iter()
        .map(|a| {
            let minutes = if a.charged { a.duration_ms.div_ceil(60_000).max(1) } else { 0 };
            line(a.name.clone(), minutes as f64, CODEPIPELINE_V2)
        })
        .collect();
    CostReport {
        baton_usd: baton.iter().map(|l| l.usd).sum(),
        baton,
        codepipeline_usd: codepipeline.iter().map(|l| l.usd).sum(),
        codepipeline,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codepipeline_rounds_each_action_up_to_a_minute_and_skips_approvals() {
        let usage = Usage {
            actions: vec![
                ActionRun {
                    name: "Build:Compile".into(),
                    duration_ms: 61_000,
                    charged: true,
                },
                ActionRun {
                    name: "Build:Lint".into(),
                    duration_ms: 2_000,
                    charged: true,
                },
                ActionRun {
                    name: "Release:Approve".into(),
                    duration_ms: 3_600_000,
                    charged: false,
                },
            ],
            ..Usage::default()
        };
        let r = estimate(&usage);
        assert_eq!(r.codepipeline.iter().map(|l| l.quantity).collect::<Vec<_>>(), [2.0, 1.0, 0.0]);
        assert!((r.codepipeline_usd - 0.006).abs() < 1e-12);
    }

    #[test]
    fn lambda_duration_is_billed_at_each_functions_memory() {
        let usage = Usage {
            invocations: vec![
                Invocation {
                    function: "build".into(),
                    billed_ms: 1000,
                },
                Invocation {
                    function: "events".into(),
                    billed_ms: 1000,
                },
            ],
            transitions: 1000,
            ..Usage::default()
        };
        let r = estimate(&usage);
        let duration = r.baton.iter().find(|l| l.item == "Lambda duration").map(|l| l.quantity);
        assert_eq!(duration, Some(0.125 + 0.5));
        let transitions = r.baton.iter().find(|l| l.item.contains("transitions")).map(|l| l.usd);
        assert_eq!(transitions, Some(0.025));
    }
}
