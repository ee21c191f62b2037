//! The blocked routines of the kernel (forward `Z = W X^T`, residuals, backward `D = C X` and
//! the gradient-descent update), each written once, generically over the vector type and tile
//! sizes, and compiled once per instruction set by `isa_copies!`.

#[cfg(target_arch = "x86_64")]
use super::vector::x86;
use super::vector::{Plain, Vector};
use super::{BySign, Classes, GROUP, Geometry, Isa, LANES, Scratch};

// ------------------------------------------------------------------------------------------
// Instruction-set dispatch
// ------------------------------------------------------------------------------------------
//
// Each routine below has one generic body (`#[inline(always)]`; the vector type and the tile
// sizes are generic parameters) compiled three times: portable, inside an `avx2` function and
// inside an `avx512f` function. The copies differ only in register tiling, never in the
// operations applied to any one number.
//
// Tile sizes `<J, PV, NB>`: the forward tile is `J` neurons x `PV` point vectors (`J PV`
// accumulators per partial sum); the backward keeps `NB` vectors of one `D_j` in registers.
// AVX-512 (32 registers of 8 lanes): 6 x 4 = 24 accumulators, `NB = 8` (64 coordinates).
// AVX2 (16 registers of 4 lanes, 2 per vector): 3 x 2 = 6 vectors = 12 registers, `NB = 4`.

macro_rules! isa_copies {
    (
        $(#[$doc:meta])*
        fn $name:ident [$($generic:tt)*] ($($arg:ident: $ty:ty),* $(,)?) => $body:ident [$($targ:ty),*]
    ) => {
        $(#[$doc])*
        #[allow(clippy::too_many_arguments)]
        pub(super) fn $name<$($generic)*>(isa: Isa, $($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma")]
            #[allow(clippy::too_many_arguments)]
            fn narrow<$($generic)*>($($arg: $ty),*) {
                $body::<$($targ,)* x86::Avx2, 3, 2, 4>($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f")]
            #[allow(clippy::too_many_arguments)]
            fn wide<$($generic)*>($($arg: $ty),*) {
                $body::<$($targ,)* x86::Avx512, 6, 4, 8>($($arg),*)
            }
            match isa {
                Isa::Portable => $body::<$($targ,)* Plain, 2, 1, 2>($($arg),*),
                // SAFETY: `Isa::Avx2` is chosen only when the CPU reports AVX2 (`Isa::detect`).
                #[cfg(target_arch = "x86_64")]
                Isa::Avx2 => unsafe { narrow::<$($targ),*>($($arg),*) },
                // SAFETY: `Isa::Avx512` is chosen only when the CPU reports AVX-512F.
                #[cfg(target_arch = "x86_64")]
                Isa::Avx512 => unsafe { wide::<$($targ),*>($($arg),*) },
            }
        }
    };
}

isa_copies! {
    /// `z` rows for the neurons whose blocks are `theta` (`z.len() / n` of them).
    fn forward_rows[](geo: &Geometry, theta: &[f64], z: &mut [f64]) => forward_rows_body[]
}

isa_copies! {
    /// Residuals of the points `k0 .. k0 + r.len()`, from all `m` neurons.
    fn residual_cols[C: Classes](
        geo: &Geometry,
        theta: &[f64],
        scale_sq: &[f64],
        z: &[f64],
        m: usize,
        y: &[f64],
        k0: usize,
        r: &mut [f64],
        classes: C,
    ) => residual_cols_body[C]
}

isa_copies! {
    /// Velocities of the neurons whose blocks are `theta` (the first is neuron `j0`) into `out`.
    fn backward_rows[C: Classes](
        geo: &Geometry,
        theta: &[f64],
        z: &[f64],
        residual: &[f64],
        j0: usize,
        out: &mut [f64],
        scratch: &mut Scratch,
        classes: C,
    ) => backward_rows_body[C]
}

isa_copies! {
    /// A gradient-descent step of the neurons whose blocks are `theta`, and their new `z` rows.
    fn gd_rows[](
        geo: &Geometry,
        theta: &mut [f64],
        z: &mut [f64],
        residual: &[f64],
        scratch: &mut Scratch,
        eta: f64,
        ss: &mut [f64],
    ) => gd_rows_body[]
}

// ------------------------------------------------------------------------------------------
// Forward: z = W X^T
// ------------------------------------------------------------------------------------------

#[inline(always)]
fn forward_rows_body<V: Vector, const J: usize, const PV: usize, const NB: usize>(
    geo: &Geometry,
    theta: &[f64],
    z: &mut [f64],
) {
    let rows = z.len() / geo.n;
    let mut j = 0;
    while j + J <= rows {
        tile_row::<V, J, PV>(geo, theta, z, j);
        j += J;
    }
    while j < rows {
        tile_row::<V, 1, PV>(geo, theta, z, j);
        j += 1;
    }
}

/// `z` of neurons `j0 .. j0 + J` at every point, `PV` point vectors at a time.
#[inline(always)]
fn tile_row<V: Vector, const J: usize, const PV: usize>(geo: &Geometry, theta: &[f64], z: &mut [f64], j0: usize) {
    let vectors = geo.n_pad / LANES;
    let mut v = 0;
    while v + PV <= vectors {
        z_tile::<V, J, PV>(geo, theta, z, j0, v * LANES);
        v += PV;
    }
    while v < vectors {
        z_tile::<V, J, 1>(geo, theta, z, j0, v * LANES);
        v += 1;
    }
}

/// `z_jk` for `J` neurons from `j0` and the `PV * LANES` points from `k0`, in registers: each
/// of the four partial sums of [`dot4`](super::dot4)'s order in turn, every lane accumulating
/// its own point, then `(s_0 + s_1) + (s_2 + s_3)` and the tail coordinates.
#[inline(always)]
fn z_tile<V: Vector, const J: usize, const PV: usize>(
    geo: &Geometry,
    theta: &[f64],
    z: &mut [f64],
    j0: usize,
    k0: usize,
) {
    let (n, d, np) = (geo.n, geo.d, geo.n_pad);
    let body = d - d % 4;
    let w: [&[f64]; J] = std::array::from_fn(|t| &theta[(j0 + t) * (d + 1) + 1..(j0 + t + 1) * (d + 1)]);
    let xt = &geo.xt[k0..];
    let mut s = [[[V::zero(); PV]; J]; 4];
    for (i, s_i) in s.iter_mut().enumerate() {
        let mut acc = [[V::zero(); PV]; J];
        let mut l = i;
        while l < body {
            let x: [V; PV] = std::array::from_fn(|p| V::load(&xt[l * np + p * LANES..]));
            for t in 0..J {
                let wv = V::splat(w[t][l]);
                for p in 0..PV {
                    acc[t][p] = wv.mul_add(x[p], acc[t][p]);
                }
            }
            l += 4;
        }
        *s_i = acc;
    }
    let mut out = [[V::zero(); PV]; J];
    for t in 0..J {
        for p in 0..PV {
            out[t][p] = s[0][t][p].add(s[1][t][p]).add(s[2][t][p].add(s[3][t][p]));
        }
    }
    for l in body..d {
        let x: [V; PV] = std::array::from_fn(|p| V::load(&xt[l * np + p * LANES..]));
        for t in 0..J {
            let wv = V::splat(w[t][l]);
            for p in 0..PV {
                out[t][p] = wv.mul_add(x[p], out[t][p]);
            }
        }
    }
    for t in 0..J {
        let row = &mut z[(j0 + t) * n..(j0 + t + 1) * n];
        for p in 0..PV {
            let k = k0 + p * LANES;
            if k + LANES <= n {
                out[t][p].store(&mut row[k..]);
            } else {
                let mut lanes = [0.0; LANES];
                out[t][p].store(&mut lanes);
                let left = n.saturating_sub(k);
                row[k.min(n)..].copy_from_slice(&lanes[..left]);
            }
        }
    }
}

// ------------------------------------------------------------------------------------------
// Residuals
// ------------------------------------------------------------------------------------------

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn residual_cols_body<C: Classes, V: Vector, const J: usize, const PV: usize, const NB: usize>(
    geo: &Geometry,
    theta: &[f64],
    scale_sq: &[f64],
    z: &[f64],
    m: usize,
    y: &[f64],
    k0: usize,
    r: &mut [f64],
    classes: C,
) {
    let (n, d) = (geo.n, geo.d);
    let len = r.len();
    for (rk, yk) in r.iter_mut().zip(y) {
        *rk = -yk;
    }
    for j in 0..m {
        let c = theta[j * (d + 1)] * scale_sq[j];
        let zr = &z[j * n + k0..j * n + k0 + len];
        for (q, (rk, &zv)) in r.iter_mut().zip(zr).enumerate() {
            let (act, _) = geo.act_gate(classes.sides(j * n + k0 + q, zv), zv);
            *rk += c * act;
        }
    }
}

// ------------------------------------------------------------------------------------------
// Backward: D = C X, and the gradient-descent update
// ------------------------------------------------------------------------------------------

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn backward_rows_body<C: Classes, V: Vector, const J: usize, const PV: usize, const NB: usize>(
    geo: &Geometry,
    theta: &[f64],
    z: &[f64],
    residual: &[f64],
    j0: usize,
    out: &mut [f64],
    scratch: &mut Scratch,
    classes: C,
) {
    let (n, d) = (geo.n, geo.d);
    let rows = z.len() / n;
    let mut g0 = 0;
    while g0 < rows {
        let gl = GROUP.min(rows - g0);
        let span = g0 * (d + 1)..(g0 + gl) * (d + 1);
        group_velocity::<C, V, NB>(
            geo,
            &theta[span.clone()],
            &z[g0 * n..(g0 + gl) * n],
            residual,
            j0 + g0,
            scratch,
            classes,
            &mut out[span],
        );
        g0 += gl;
    }
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn gd_rows_body<V: Vector, const J: usize, const PV: usize, const NB: usize>(
    geo: &Geometry,
    theta: &mut [f64],
    z: &mut [f64],
    residual: &[f64],
    scratch: &mut Scratch,
    eta: f64,
    ss: &mut [f64],
) {
    let (n, d) = (geo.n, geo.d);
    let rows = z.len() / n;
    let width = d + 1;
    let mut g0 = 0;
    while g0 < rows {
        let gl = GROUP.min(rows - g0);
        let span = g0 * width..(g0 + gl) * width;
        let mut vel = std::mem::take(&mut scratch.vel);
        group_velocity::<BySign, V, NB>(
            geo,
            &theta[span.clone()],
            &z[g0 * n..(g0 + gl) * n],
            residual,
            0,
            scratch,
            BySign,
            &mut vel[..gl * width],
        );
        // theta += eta v and |block|^2, each neuron's sum in coordinate order (the neurons
        // interleaved so that their sums do not wait on each other)
        let block = &mut theta[span];
        for (t, v) in block.iter_mut().zip(&vel[..gl * width]) {
            *t += eta * v;
        }
        scratch.vel = vel;
        if gl == GROUP {
            ss[g0..g0 + GROUP].copy_from_slice(&block_sums::<GROUP>(block, width));
        } else {
            for (g, s) in ss[g0..g0 + gl].iter_mut().enumerate() {
                *s = block[g * width..(g + 1) * width].iter().fold(0.0, |acc, t| acc + t * t);
            }
        }
        forward_rows_body::<V, J, PV, NB>(geo, block, &mut z[g0 * n..(g0 + gl) * n]);
        g0 += gl;
    }
}

/// `|block_g|^2` of `G` consecutive blocks of `width`, each sum in coordinate order (the `G` sums
/// interleaved, in registers, so that they do not wait on each other).
#[inline(always)]
fn block_sums<const G: usize>(blocks: &[f64], width: usize) -> [f64; G] {
    let blocks = &blocks[..G * width];
    let mut sums = [0.0f64; G];
    for i in 0..width {
        for (g, s) in sums.iter_mut().enumerate() {
            let t = blocks[g * width + i];
            *s += t * t;
        }
    }
    sums
}

/// Velocities of the `z.len() / n` neurons of a group (the first is neuron `j0`) into `out`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn group_velocity<C: Classes, V: Vector, const NB: usize>(
    geo: &Geometry,
    theta: &[f64],
    z: &[f64],
    residual: &[f64],
    j0: usize,
    scratch: &mut Scratch,
    classes: C,
    out: &mut [f64],
) {
    let (n, np, d, d_pad, inv_n) = (geo.n, geo.n_pad, geo.d, geo.d_pad, geo.inv_n);
    let Scratch { idx, coef, dense, prod, .. } = scratch;
    let gl = z.len() / n;
    // per neuron, lanes across points: C_jk = -r_k act'(z_jk) and p_jk = r_k act(z_jk), in rows
    // of `n_pad` (the padding of `dense` is never written: it stays 0)
    for g in 0..gl {
        let base = (j0 + g) * n;
        let (zr, cr, pr) = (&z[g * n..(g + 1) * n], &mut dense[g * np..g * np + n], &mut prod[g * np..g * np + n]);
        for (k, (((&zv, &r), c), p)) in zr.iter().zip(residual).zip(cr.iter_mut()).zip(pr.iter_mut()).enumerate() {
            let (act, gate) = geo.act_gate(classes.sides(base + k, zv), zv);
            *p = r * act;
            *c = -r * gate;
        }
    }
    // da_j = -sum_k p_jk in k order: the GROUP sums interleaved (rows past `gl` are zeros)
    prod[gl * np..].fill(0.0);
    let mut da = [0.0f64; GROUP];
    for k in 0..n {
        for (g, a) in da.iter_mut().enumerate() {
            *a -= prod[g * np + k];
        }
    }
    // the points with C_jk != 0, in k order
    let mut count = [0usize; GROUP];
    for g in 0..gl {
        let row = g * np..(g + 1) * np;
        let (ir, lr) = (&mut idx[row.clone()], &mut coef[row.clone()]);
        let cr = &dense[row];
        let mut c_count = 0;
        for v in 0..np / LANES {
            c_count += V::load(&cr[v * LANES..]).append_nonzero(v * LANES, ir, lr, c_count);
        }
        count[g] = c_count;
    }
    for g in 0..gl {
        out[g * (d + 1)] = da[g] * inv_n;
    }
    // D_j, NB vectors of coordinates at a time (that block of x stays in L1 across the group)
    let mut b0 = 0;
    while b0 < d_pad {
        let vectors = NB.min((d_pad - b0) / LANES);
        for g in 0..gl {
            let scale = theta[g * (d + 1)] * inv_n;
            let list = g * np..g * np + count[g];
            let dst = &mut out[g * (d + 1) + 1..(g + 1) * (d + 1)];
            let (idx, coef) = (&idx[list.clone()], &coef[list]);
            match vectors {
                1 => d_block::<V, 1>(geo, idx, coef, b0, scale, dst),
                2 => d_block::<V, 2>(geo, idx, coef, b0, scale, dst),
                3 => d_block::<V, 3>(geo, idx, coef, b0, scale, dst),
                4 => d_block::<V, 4>(geo, idx, coef, b0, scale, dst),
                5 => d_block::<V, 5>(geo, idx, coef, b0, scale, dst),
                6 => d_block::<V, 6>(geo, idx, coef, b0, scale, dst),
                7 => d_block::<V, 7>(geo, idx, coef, b0, scale, dst),
                _ => d_block::<V, 8>(geo, idx, coef, b0, scale, dst),
            }
        }
        b0 += NB * LANES;
    }
}

/// `dst[l] = scale * sum_k coef_k x_kl` for the `W LANES` coordinates from `b0` (those below
/// `d`), the sum in the order of the list.
#[inline(always)]
fn d_block<V: Vector, const W: usize>(
    geo: &Geometry,
    idx: &[u64],
    coef: &[f64],
    b0: usize,
    scale: f64,
    dst: &mut [f64],
) {
    let mut acc = [V::zero(); W];
    for (&k, &c) in idx.iter().zip(coef) {
        let x = &geo.xp[k as usize * geo.d_pad + b0..][..W * LANES];
        let cv = V::splat(c);
        for (t, a) in acc.iter_mut().enumerate() {
            *a = cv.mul_add(V::load(&x[t * LANES..]), *a);
        }
    }
    let sv = V::splat(scale);
    let mut lanes = [0.0f64; LANES];
    for (t, a) in acc.iter().enumerate() {
        let l = b0 + t * LANES;
        if l + LANES <= dst.len() {
            sv.mul(*a).store(&mut dst[l..]);
        } else if l < dst.len() {
            sv.mul(*a).store(&mut lanes);
            let left = dst.len() - l;
            dst[l..].copy_from_slice(&lanes[..left]);
        }
    }
}
