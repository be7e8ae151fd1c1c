//! The Mann-Whitney U test (Wilcoxon rank-sum), as Kayenta's judge uses it to ask whether a
//! canary's samples come from the same distribution as its baseline's.
//!
//! U is the canary's: the number of (canary, baseline) pairs in which the canary's value is the
//! larger, ties counting one half — its rank sum less `n₁(n₁+1)/2`. The p-value is two-sided:
//! exact, from the distribution of U under the null hypothesis, when there are no ties and
//! `n₁·n₂` is at most [`EXACT_UP_TO`]; otherwise the normal approximation with the variance
//! corrected for ties and a continuity correction of ½, as the NAG Library's `g08ah` computes it.

use std::cmp::Ordering;

/// The largest `n₁·n₂` whose exact distribution is counted (a table of `n₁·n₂/2` entries per
/// step); past it the normal approximation is within 0.001 of the exact p.
pub const EXACT_UP_TO: usize = 2_500;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// The canary's U.
    pub u: f64,
    /// The normal statistic (with continuity correction and tie-corrected variance).
    pub z: f64,
    /// Two-sided.
    pub p_value: f64,
    /// Whether `p_value` is exact rather than the normal approximation.
    pub exact: bool,
}

/// The test of `canary` against `baseline`; `None` when either is empty or a value is not
/// finite.
pub fn test(canary: &[f64], baseline: &[f64]) -> Option<MannWhitney> {
    let (n1, n2) = (canary.len(), baseline.len());
    if n1 == 0 || n2 == 0 || canary.iter().chain(baseline).any(|v| !v.is_finite()) {
        return None;
    }
    let (ranks, ties) = ranks(canary, baseline);
    let rank_sum: f64 = ranks[..n1].iter().sum();
    let (f1, f2) = (n1 as f64, n2 as f64);
    let u = rank_sum - f1 * (f1 + 1.0) / 2.0;
    let mean = f1 * f2 / 2.0;
    let n = f1 + f2;
    // Σ(t³ − t) over groups of tied values lowers the variance (Lehmann, Nonparametrics, 1975).
    let variance = f1 * f2 / 12.0 * ((n + 1.0) - ties / (n * (n - 1.0)).max(1.0));
    let z = if variance > 0.0 {
        let corrected = match u.partial_cmp(&mean) {
            Some(Ordering::Less) => (u + 0.5).min(mean),
            Some(Ordering::Greater) => (u - 0.5).max(mean),
            _ => u,
        };
        (corrected - mean) / variance.sqrt()
    } else {
        0.0
    };
    let exact = ties == 0.0 && n1 * n2 <= EXACT_UP_TO;
    let p_value = if exact {
        exact_two_sided(n1, n2, u)
    } else {
        (2.0 * normal_cdf(-z.abs())).min(1.0)
    };
    Some(MannWhitney { u, z, p_value, exact })
}

/// Each value's rank in the pooled sample (canary's first), ties given their mean rank, and
/// Σ(t³ − t) over the groups of ties.
fn ranks(canary: &[f64], baseline: &[f64]) -> (Vec<f64>, f64) {
    let pooled: Vec<f64> = canary.iter().chain(baseline).copied().collect();
    let mut order: Vec<usize> = (0..pooled.len()).collect();
    order.sort_by(|&a, &b| pooled[a].total_cmp(&pooled[b]));
    let mut ranks = vec![0.0; pooled.len()];
    let mut ties = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && pooled[order[j + 1]] == pooled[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = rank;
        }
        let t = (j - i + 1) as f64;
        ties += t * t * t - t;
        i = j + 1;
    }
    (ranks, ties)
}

/// The exact two-sided p of U = `u` for samples of `n1` and `n2` without ties: twice the smaller
/// tail, counted with the recurrence c(m, n, u) = c(m−1, n, u−n) + c(m, n−1, u).
fn exact_two_sided(n1: usize, n2: usize, u: f64) -> f64 {
    // counts[n][u] for the current m, n = 0..=n2.
    let max = n1 * n2;
    let mut counts: Vec<Vec<f64>> = (0..=n2).map(|_| vec![1.0]).collect();
    for m in 1..=n1 {
        let mut next: Vec<Vec<f64>> = Vec::with_capacity(n2 + 1);
        next.push(vec![1.0]);
        for n in 1..=n2 {
            let mut row = vec![0.0; m * n + 1];
            for (v, c) in counts[n].iter().enumerate() {
                row[v + n] += c;
            }
            for (v, c) in next[n - 1].iter().enumerate() {
                row[v] += c;
            }
            next.push(row);
        }
        counts = next;
    }
    let table = &counts[n2];
    let total: f64 = table.iter().sum();
    let at = u.round() as usize;
    let lower: f64 = table[..=at.min(max)].iter().sum::<f64>() / total;
    let upper: f64 = table[at.min(max)..].iter().sum::<f64>() / total;
    (2.0 * lower.min(upper)).min(1.0)
}

/// Φ(x), the standard normal distribution function, from the complementary error function.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// erfc(x) by its Chebyshev fit (Numerical Recipes, 2nd ed., §6.2: relative error < 1.2·10⁻⁷).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07 + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NAG Library Manual, g08ahf/g08akf example (Mann-Whitney U test): 16 against 23 values
    /// with ties. NAG reports U = 86, the normal statistic −2.8039, the lower tail 0.0025 and the
    /// ranks printed below.
    const NAG_TIED_1: [f64; 16] = [13., 6., 12., 7., 12., 7., 10., 7., 10., 7., 16., 7., 10., 8., 9., 8.];
    const NAG_TIED_2: [f64; 23] = [
        17., 6., 10., 8., 15., 8., 15., 10., 15., 10., 14., 10., 14., 11., 14., 11., 13., 12., 13., 12., 13., 12., 12.,
    ];
    /// NAG Library Manual, g08ajf example: the same design without ties. U = 86, normal statistic
    /// −2.7838, lower tail 0.0027, exact lower tail 0.0022.
    const NAG_1: [f64; 16] = [13., 5.8, 11.7, 6.5, 12.3, 6.7, 9.2, 6.9, 10., 7.3, 16., 7., 10.5, 8.5, 9., 7.5];
    const NAG_2: [f64; 23] = [
        17., 6.2, 10.1, 8., 15.3, 8.2, 15., 9.6, 14.9, 10.4, 14.2, 9.8, 13.8, 11., 14., 11.1, 12.9, 11.6, 12.8, 12., 13.1, 12.4, 11.9,
    ];

    fn close(a: f64, b: f64, within: f64) -> bool {
        (a - b).abs() <= within
    }

    #[test]
    fn ties_are_ranked_by_their_mean_rank_as_nag_prints_them() {
        let (ranks, _) = ranks(&NAG_TIED_1, &NAG_TIED_2);
        let first: Vec<f64> = ranks[..4].to_vec();
        assert_eq!(first, [29.5, 1.5, 24.5, 5.0]);
        assert_eq!(ranks[16..20].to_vec(), [39.0, 1.5, 16.0, 9.5]);
    }

    #[test]
    fn tied_samples_match_nags_worked_example() {
        let r = test(&NAG_TIED_1, &NAG_TIED_2).expect("test");
        assert_eq!(r.u, 86.0);
        assert!(close(r.z, -2.8039, 5e-5), "z = {}", r.z);
        assert!(!r.exact, "ties: the normal approximation");
        assert!(close(r.p_value / 2.0, 0.0025, 5e-5), "lower tail = {}", r.p_value / 2.0);
    }

    #[test]
    fn untied_samples_match_nags_normal_and_exact_tails() {
        let r = test(&NAG_1, &NAG_2).expect("test");
        assert_eq!(r.u, 86.0);
        assert!(close(r.z, -2.7838, 5e-5), "z = {}", r.z);
        assert!(r.exact);
        assert!(close(r.p_value / 2.0, 0.0022, 5e-5), "exact lower tail = {}", r.p_value / 2.0);
        assert!(close(normal_cdf(r.z), 0.0027, 5e-5), "normal lower tail = {}", normal_cdf(r.z));
    }

    #[test]
    fn small_samples_use_the_exact_distribution() {
        // 3 against 3, completely separated: 1 arrangement in C(6,3) = 20 per tail.
        let r = test(&[4., 5., 6.], &[1., 2., 3.]).expect("test");
        assert_eq!((r.u, r.exact), (9.0, true));
        assert!(close(r.p_value, 0.1, 1e-12), "p = {}", r.p_value);
        // Identical samples are all ties: no evidence of a difference at all.
        let same = test(&[1., 1., 1.], &[1., 1., 1., 1.]).expect("test");
        assert_eq!((same.z, same.p_value), (0.0, 1.0));
    }

    #[test]
    fn no_data_is_no_test() {
        assert_eq!(test(&[], &[1.0]), None);
        assert_eq!(test(&[1.0], &[]), None);
        assert_eq!(test(&[f64::NAN], &[1.0]), None);
    }

    #[test]
    fn the_normal_distribution_function_is_accurate_to_seven_places() {
        // Abramowitz & Stegun, table 26.1.
        for (x, phi) in [(0.0, 0.5), (1.0, 0.841_344_7), (-1.96, 0.024_997_9), (3.0, 0.998_650_1)] {
            assert!(close(normal_cdf(x), phi, 2e-7), "Φ({x}) = {}", normal_cdf(x));
        }
    }
}
