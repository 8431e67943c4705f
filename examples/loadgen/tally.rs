//! Latencies and failures of one kind of request.

use std::time::Instant;

use super::http::Failure;

#[derive(Default)]
pub struct Tally {
    micros: Vec<u64>,
    pub failures: u64,
    first_failure: Option<String>,
}

impl Tally {
    /// Counts one request that started at `started`.
    pub fn record(&mut self, started: Instant, outcome: Result<(), Failure>) {
        match outcome {
            Ok(()) => self.ok(started.elapsed().as_micros() as u64),
            Err(e) => self.fail(e.to_string()),
        }
    }

    pub fn ok(&mut self, micros: u64) {
        self.micros.push(micros);
    }

    pub fn fail(&mut self, why: String) {
        self.failures += 1;
        self.first_failure.get_or_insert(why);
    }

    pub fn successes(&self) -> usize {
        self.micros.len()
    }

    /// The `p` quantile (0 to 1) in milliseconds; NaN with no successes.
    pub fn percentile_ms(&mut self, p: f64) -> f64 {
        if self.micros.is_empty() {
            return f64::NAN;
        }
        self.micros.sort_unstable();
        let n = self.micros.len();
        let i = ((n as f64 * p).ceil() as usize).clamp(1, n) - 1;
        self.micros[i] as f64 / 1000.0
    }

    /// `ok N failed N p50_ms X p99_ms X max_ms X [first_failure "..."]`.
    pub fn summary(&mut self) -> String {
        let (p50, p99, max) = (
            self.percentile_ms(0.50),
            self.percentile_ms(0.99),
            self.percentile_ms(1.0),
        );
        format!(
            "ok {} failed {} p50_ms {p50:.2} p99_ms {p99:.2} max_ms {max:.2}{}",
            self.micros.len(),
            self.failures,
            self.first_failure
                .as_ref()
                .map_or(String::new(), |e| format!(" first_failure {e:?}"))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Tally;

    #[test]
    fn percentiles() {
        let mut t = Tally::default();
        assert!(t.percentile_ms(0.5).is_nan());
        for us in (1..=100).rev() {
            t.ok(us * 1000);
        }
        assert_eq!(t.percentile_ms(0.5), 50.0);
        assert_eq!(t.percentile_ms(0.99), 99.0);
        assert_eq!(t.percentile_ms(1.0), 100.0);
        t.fail("x".into());
        assert!(t.summary().contains("failed 1") && t.summary().contains("first_failure"));
    }
}
