//! Vectors of `LANES` `f64`: the [`Vector`] operations the tiles are written in, a portable
//! implementation ([`Plain`]) and the x86-64 intrinsics (`x86::Avx2`, `x86::Avx512`).

use super::LANES;

/// Eight `f64` lanes with lane-wise `+`, `*` and fused multiply-add (IEEE, round to nearest):
/// the same operations on every implementation, so the choice of implementation changes no bit.
pub(super) trait Vector: Copy {
    fn zero() -> Self;
    fn splat(x: f64) -> Self;
    /// The first [`LANES`] values of `s` (panics if `s` is shorter).
    fn load(s: &[f64]) -> Self;
    /// Into the first [`LANES`] values of `s` (panics if `s` is shorter).
    fn store(self, s: &mut [f64]);
    fn add(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    /// `self * b + c` with a single rounding (fused multiply-add, as `f64::mul_add`).
    fn mul_add(self, b: Self, c: Self) -> Self;
    /// Appends the lanes of `self` that are not zero, and their points `k0 + lane`, to
    /// `coef[at..]` and `idx[at..]` (in lane order); returns how many. May write up to
    /// [`LANES`] values past the last one appended (the buffers have that much room).
    fn append_nonzero(self, k0: usize, idx: &mut [u64], coef: &mut [f64], at: usize) -> usize;
}

/// The scalar version of [`Vector::append_nonzero`] (branch-free).
#[inline(always)]
fn append_nonzero_lanes(lanes: [f64; LANES], k0: usize, idx: &mut [u64], coef: &mut [f64], at: usize) -> usize {
    let (idx, coef) = (&mut idx[at..at + LANES], &mut coef[at..at + LANES]);
    let mut count = 0;
    for (q, &c) in lanes.iter().enumerate() {
        idx[count] = (k0 + q) as u64;
        coef[count] = c;
        count += usize::from(c != 0.0);
    }
    count
}

/// Portable: a plain array (the compiler vectorises what the target allows).
#[derive(Clone, Copy)]
pub(super) struct Plain([f64; LANES]);

impl Vector for Plain {
    #[inline(always)]
    fn zero() -> Self {
        Plain([0.0; LANES])
    }
    #[inline(always)]
    fn splat(x: f64) -> Self {
        Plain([x; LANES])
    }
    #[inline(always)]
    fn load(s: &[f64]) -> Self {
        Plain(s[..LANES].try_into().expect("LANES values"))
    }
    #[inline(always)]
    fn store(self, s: &mut [f64]) {
        s[..LANES].copy_from_slice(&self.0);
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Plain(std::array::from_fn(|i| self.0[i] + o.0[i]))
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        Plain(std::array::from_fn(|i| self.0[i] * o.0[i]))
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        Plain(std::array::from_fn(|i| self.0[i].mul_add(b.0[i], c.0[i])))
    }
    #[inline(always)]
    fn append_nonzero(self, k0: usize, idx: &mut [u64], coef: &mut [f64], at: usize) -> usize {
        append_nonzero_lanes(self.0, k0, idx, coef, at)
    }
}

#[cfg(target_arch = "x86_64")]
pub(super) mod x86 {
    //! The intrinsics behind [`Vector`] on x86-64. These types are created only inside the
    //! functions that the dispatcher calls after `Isa::detect` found the instruction set.
    use super::{LANES, Vector, append_nonzero_lanes};
    use std::arch::x86_64::*;

    /// AVX2: two 4-lane registers.
    #[derive(Clone, Copy)]
    pub(in crate::network::kernel) struct Avx2([__m256d; 2]);

    impl Vector for Avx2 {
        #[inline(always)]
        fn zero() -> Self {
            // SAFETY (all methods): used only on CPUs with AVX2 (see the module doc); loads and
            // stores go through slices checked to hold `LANES` values.
            unsafe { Avx2([_mm256_setzero_pd(); 2]) }
        }
        #[inline(always)]
        fn splat(x: f64) -> Self {
            unsafe { Avx2([_mm256_set1_pd(x); 2]) }
        }
        #[inline(always)]
        fn load(s: &[f64]) -> Self {
            let s = &s[..LANES];
            unsafe { Avx2([_mm256_loadu_pd(s.as_ptr()), _mm256_loadu_pd(s.as_ptr().add(4))]) }
        }
        #[inline(always)]
        fn store(self, s: &mut [f64]) {
            let s = &mut s[..LANES];
            unsafe {
                _mm256_storeu_pd(s.as_mut_ptr(), self.0[0]);
                _mm256_storeu_pd(s.as_mut_ptr().add(4), self.0[1]);
            }
        }
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            unsafe { Avx2([_mm256_add_pd(self.0[0], o.0[0]), _mm256_add_pd(self.0[1], o.0[1])]) }
        }
        #[inline(always)]
        fn mul(self, o: Self) -> Self {
            unsafe { Avx2([_mm256_mul_pd(self.0[0], o.0[0]), _mm256_mul_pd(self.0[1], o.0[1])]) }
        }
        #[inline(always)]
        fn mul_add(self, b: Self, c: Self) -> Self {
            // (FMA3 is checked with AVX2, `Isa::detect`)
            unsafe { Avx2([_mm256_fmadd_pd(self.0[0], b.0[0], c.0[0]), _mm256_fmadd_pd(self.0[1], b.0[1], c.0[1])]) }
        }
        #[inline(always)]
        fn append_nonzero(self, k0: usize, idx: &mut [u64], coef: &mut [f64], at: usize) -> usize {
            let mut lanes = [0.0; LANES];
            self.store(&mut lanes);
            append_nonzero_lanes(lanes, k0, idx, coef, at)
        }
    }

    /// AVX-512F: one 8-lane register.
    #[derive(Clone, Copy)]
    pub(in crate::network::kernel) struct Avx512(__m512d);

    impl Vector for Avx512 {
        #[inline(always)]
        fn zero() -> Self {
            // SAFETY (all methods): used only on CPUs with AVX-512F (see the module doc); loads
            // and stores go through slices checked to hold `LANES` values.
            unsafe { Avx512(_mm512_setzero_pd()) }
        }
        #[inline(always)]
        fn splat(x: f64) -> Self {
            unsafe { Avx512(_mm512_set1_pd(x)) }
        }
        #[inline(always)]
        fn load(s: &[f64]) -> Self {
            let s = &s[..LANES];
            unsafe { Avx512(_mm512_loadu_pd(s.as_ptr())) }
        }
        #[inline(always)]
        fn store(self, s: &mut [f64]) {
            let s = &mut s[..LANES];
            unsafe { _mm512_storeu_pd(s.as_mut_ptr(), self.0) }
        }
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            unsafe { Avx512(_mm512_add_pd(self.0, o.0)) }
        }
        #[inline(always)]
        fn mul(self, o: Self) -> Self {
            unsafe { Avx512(_mm512_mul_pd(self.0, o.0)) }
        }
        #[inline(always)]
        fn mul_add(self, b: Self, c: Self) -> Self {
            unsafe { Avx512(_mm512_fmadd_pd(self.0, b.0, c.0)) }
        }
        #[inline(always)]
        fn append_nonzero(self, k0: usize, idx: &mut [u64], coef: &mut [f64], at: usize) -> usize {
            // compress into registers, then store all 8 lanes (the tail past `count` is scratch)
            let (idx, coef) = (&mut idx[at..at + LANES], &mut coef[at..at + LANES]);
            unsafe {
                let keep = _mm512_cmpneq_pd_mask(self.0, _mm512_setzero_pd());
                let points = _mm512_add_epi64(_mm512_set1_epi64(k0 as i64), _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0));
                _mm512_storeu_pd(coef.as_mut_ptr(), _mm512_maskz_compress_pd(keep, self.0));
                _mm512_storeu_si512(idx.as_mut_ptr().cast(), _mm512_maskz_compress_epi64(keep, points));
                keep.count_ones() as usize
            }
        }
    }
}
