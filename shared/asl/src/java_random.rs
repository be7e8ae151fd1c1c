//! `java.util.Random`, the generator AWS draws seeded random numbers with: the 48-bit linear
//! congruential generator of the class's documentation.

/// A `new java.util.Random(seed)`.
pub(crate) struct JavaRandom {
    state: u64,
}

const MULTIPLIER: u64 = 0x5_DEEC_E66D;
const MASK: u64 = (1 << 48) - 1;

impl JavaRandom {
    pub(crate) fn new(seed: i64) -> Self {
        Self {
            state: (seed as u64 ^ MULTIPLIER) & MASK,
        }
    }

    /// `next(bits)`: the next `bits` high bits of the state.
    fn next(&mut self, bits: u32) -> u64 {
        self.state = self.state.wrapping_mul(MULTIPLIER).wrapping_add(0xB) & MASK;
        self.state >> (48 - bits)
    }

    /// `nextDouble()`: two draws of 26 and 27 bits. AWS answers JSONata's `$random(42)` with
    /// 0.7275636800328681, bit for bit (measured in floci-io/floci#2662), this for seed 42.
    pub(crate) fn next_double(&mut self) -> f64 {
        let high = self.next(26);
        let low = self.next(27);
        ((high << 27) + low) as f64 * f64::powi(2.0, -53)
    }

    /// A number from `origin` up to `bound` (left out; `origin < bound`), as AWS draws
    /// States.MathRandom's with a seed: `nextInt() >>> 1`, its remainder by the range's length,
    /// a draw that would favour the low numbers thrown again — the JDK's bounded `nextInt`, but
    /// for a range whose length is a power of two too, which the JDK masks instead. So nine
    /// recorded draws come out: MathRandom(1, 100, 42) is 63, (1, 1000, 1) 106, (1, 1000, 2) 806,
    /// (1, 10, -10) 1, (1, 10, 0) 7, (1, 10, 42) 9, (1, 5, 42) 3 (the JDK's mask gives 2),
    /// (2147483640, 2147483647, 1) 2147483644 (gabrielmoreira/tiny-asl-machine,
    /// tests/conformance/cases/.snapshots/aws/States.MathRandom-002, -003, -015, -016, -023,
    /// -019, -022), and (-5, 5, 42) -5 (that catalogue's MRAND-026 notes).
    pub(crate) fn between(&mut self, origin: i64, bound: i64) -> i64 {
        let n = bound - origin;
        if n > i64::from(i32::MAX) {
            // A range longer than an int holds: the JDK draws ints until one falls in it.
            loop {
                let r = i64::from(self.next(32) as u32 as i32);
                if (origin..bound).contains(&r) {
                    return r;
                }
            }
        }
        let mut u = self.next(32) >> 1;
        loop {
            let r = u % n as u64;
            // The JDK's test, `u + m - r < 0` in 32-bit ints: `u - r + n - 1` past i32::MAX.
            if u - r + (n as u64 - 1) <= i32::MAX as u64 {
                return origin + r as i64;
            }
            u = self.next(32) >> 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::JavaRandom;

    #[test]
    fn draws_as_aws_drew_them() {
        for (origin, bound, seed, drawn) in [
            (1, 100, 42, 63),
            (1, 1000, 1, 106),
            (1, 1000, 2, 806),
            (1, 10, -10, 1),
            (1, 10, 0, 7),
            (1, 10, 42, 9),
            (1, 5, 42, 3),
            (2_147_483_640, 2_147_483_647, 1, 2_147_483_644),
            (-5, 5, 42, -5),
        ] {
            assert_eq!(JavaRandom::new(seed).between(origin, bound), drawn, "({origin}, {bound}, {seed})");
        }
        assert_eq!(JavaRandom::new(42).next_double(), 0.7275636800328681);
        let wide = JavaRandom::new(7).between(i64::from(i32::MIN), i64::from(i32::MAX));
        assert!((i64::from(i32::MIN)..i64::from(i32::MAX)).contains(&wide));
    }
}
