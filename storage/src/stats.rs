//! Rating statistics, shared by the live meeting and the results export: a scale's
//! distribution, mean and median, and a grid's items ranked by Bayesian average.
//!
//! The ranking (docs/protocol.md, "Ratings"): each item's mean is shrunk toward the mean of
//! every rating of every item, as if it had `C` (the prior weight) more ratings at that
//! global mean: `bayes_i = (C·m + Σ ratings_i) / (C + n_i)`. An item rated 5 by a single
//! person does not beat one rated 4.6 by forty.

use serde::Serialize;

use crate::model::{ChoiceId, Scale};

/// A distribution of whole-number ratings and its summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RatingStats {
    pub count: u64,
    /// `None` before the first rating.
    pub mean: Option<f64>,
    pub median: Option<f64>,
    /// `distribution[i]`: how many gave `min + i`.
    pub distribution: Vec<u64>,
}

impl RatingStats {
    /// From counts per value, `distribution[i]` counting `min + i`.
    pub fn new(min: i32, distribution: Vec<u64>) -> RatingStats {
        let count: u64 = distribution.iter().sum();
        let value = |i: usize| f64::from(min) + i as f64;
        let mean = (count > 0).then(|| {
            let sum: f64 = distribution
                .iter()
                .enumerate()
                .map(|(i, &c)| value(i) * c as f64)
                .sum();
            round2(sum / count as f64)
        });
        let median = (count > 0).then(|| {
            // The mean of the two middle ratings (the same one when count is odd).
            let nth = |k: u64| {
                let mut seen = 0;
                for (i, &c) in distribution.iter().enumerate() {
                    seen += c;
                    if seen > k {
                        return value(i);
                    }
                }
                value(distribution.len().saturating_sub(1))
            };
            (nth((count - 1) / 2) + nth(count / 2)) / 2.0
        });
        RatingStats {
            count,
            mean,
            median,
            distribution,
        }
    }

    fn sum(&self, min: i32) -> f64 {
        self.distribution
            .iter()
            .enumerate()
            .map(|(i, &c)| (f64::from(min) + i as f64) * c as f64)
            .sum()
    }
}

/// One grid item's ratings and its Bayesian average.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemStats {
    pub choice_id: ChoiceId,
    #[serde(flatten)]
    pub stats: RatingStats,
    /// `None` while nobody rated any item.
    pub bayes: Option<f64>,
}

/// A grid's items in choice order, and their ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridStats {
    pub items: Vec<ItemStats>,
    /// Item ids, best first by `bayes` (ties: more ratings, then choice order).
    pub ranking: Vec<ChoiceId>,
    /// The mean of every rating of every item.
    pub global_mean: Option<f64>,
    pub prior_weight: u32,
}

impl GridStats {
    /// `items`: each item's distribution on `scale`, in choice order.
    pub fn new(scale: &Scale, items: Vec<(ChoiceId, Vec<u64>)>, prior_weight: u32) -> GridStats {
        let stats: Vec<(ChoiceId, RatingStats)> = items
            .into_iter()
            .map(|(id, d)| (id, RatingStats::new(scale.min, d)))
            .collect();
        let count: u64 = stats.iter().map(|(_, s)| s.count).sum();
        let sum: f64 = stats.iter().map(|(_, s)| s.sum(scale.min)).sum();
        let global = (count > 0).then(|| sum / count as f64);
        let c = f64::from(prior_weight);
        let items: Vec<ItemStats> = stats
            .into_iter()
            .map(|(choice_id, s)| {
                let bayes = global.and_then(|m| {
                    let n = s.count as f64;
                    (c + n > 0.0).then(|| round2((c * m + s.sum(scale.min)) / (c + n)))
                });
                ItemStats {
                    choice_id,
                    stats: s,
                    bayes,
                }
            })
            .collect();
        let mut order: Vec<usize> = (0..items.len()).collect();
        order.sort_by(|&a, &b| {
            let (x, y) = (&items[a], &items[b]);
            y.bayes
                .unwrap_or(f64::MIN)
                .total_cmp(&x.bayes.unwrap_or(f64::MIN))
                .then(y.stats.count.cmp(&x.stats.count))
                .then(a.cmp(&b))
        });
        GridStats {
            ranking: order.into_iter().map(|i| items[i].choice_id).collect(),
            items,
            global_mean: global.map(round2),
            prior_weight,
        }
    }
}

/// Two decimals are what any screen shows; fewer digits keep frames short.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_median() {
        // 1–5 stars: 1, 4, 4, 5.
        let s = RatingStats::new(1, vec![1, 0, 0, 2, 1]);
        assert_eq!(s.count, 4);
        assert_eq!(s.mean, Some(3.5));
        assert_eq!(s.median, Some(4.0));
        // Odd count on 0–10: 2, 7, 9.
        let mut d = vec![0; 11];
        d[2] = 1;
        d[7] = 1;
        d[9] = 1;
        let s = RatingStats::new(0, d);
        assert_eq!((s.mean, s.median), (Some(6.0), Some(7.0)));
        // Even count between two values: 3 and 8 → 5.5.
        let mut d = vec![0; 11];
        d[3] = 1;
        d[8] = 1;
        assert_eq!(RatingStats::new(0, d).median, Some(5.5));
        let empty = RatingStats::new(0, vec![0; 11]);
        assert_eq!((empty.count, empty.mean, empty.median), (0, None, None));
        // Negative scales.
        assert_eq!(RatingStats::new(-2, vec![1, 0, 0, 0, 1]).mean, Some(0.0));
    }

    /// A single 5 does not beat forty ratings averaging 4.6: the Bayesian average ranks
    /// the well-rated item first, while its plain mean is lower.
    #[test]
    fn a_small_sample_does_not_win() {
        let scale = Scale::default();
        let lone = (ChoiceId(1), vec![0, 0, 0, 0, 1]);
        let crowd = (ChoiceId(2), vec![0, 0, 0, 16, 24]);
        let poor = (ChoiceId(3), vec![5, 5, 0, 0, 0]);
        let g = GridStats::new(&scale, vec![lone, crowd, poor], 5);
        assert_eq!(g.items[0].stats.mean, Some(5.0));
        assert_eq!(g.items[1].stats.mean, Some(4.6));
        assert_eq!(g.ranking, vec![ChoiceId(2), ChoiceId(1), ChoiceId(3)]);
        // m = (5 + 184 + 15) / 51 = 4.0; lone: (5·4 + 5) / 6 = 4.17; crowd: (20 + 184) / 45.
        assert_eq!(g.global_mean, Some(4.0));
        assert_eq!(g.items[0].bayes, Some(4.17));
        assert_eq!(g.items[1].bayes, Some(4.53));
        // Prior weight 0: plain means.
        let g = GridStats::new(
            &scale,
            vec![
                (ChoiceId(1), vec![0, 0, 0, 0, 1]),
                (ChoiceId(2), vec![0, 0, 0, 16, 24]),
            ],
            0,
        );
        assert_eq!(g.ranking, vec![ChoiceId(1), ChoiceId(2)]);
        assert_eq!(g.items[0].bayes, Some(5.0));
        // Nobody rated: no averages, choice order.
        let g = GridStats::new(
            &scale,
            vec![(ChoiceId(1), vec![0; 5]), (ChoiceId(2), vec![0; 5])],
            5,
        );
        assert_eq!(g.global_mean, None);
        assert_eq!(g.ranking, vec![ChoiceId(1), ChoiceId(2)]);
    }
}
