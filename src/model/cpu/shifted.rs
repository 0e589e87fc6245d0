//! The 4x4, stride 2, padding 1 convolution as four shifted matrix products, with no column
//! matrix. Splitting each kernel offset into its parity and its half, ky = 2 ty + py (and
//! kx = 2 tx + px), turns the window into a 2x2, stride 1 one over a space-to-depth copy of the
//! padded input,
//!
//! `S[(c, py, px), (b, i, j)] = x[b, c, 2 i + py - 1, 2 j + px - 1]` (0 in the padding),
//!
//! of 4 C rows and B x (H/2 + 1) x (W/2 + 1) columns: the size of x, where im2col is 16 times
//! it. Laid out by rows, the four taps t = (ty, tx) are the same matrix shifted by
//! `o_t = ty (W/2 + 1) + tx` columns, so every output of the padded grid is
//!
//! `Y[:, n] = Σ_t W_t · S[:, n + o_t]` with `W_t[co, (c, py, px)] = W[co, c, 2 ty + py, 2 tx + px]`,
//!
//! and the real outputs are the grid's first H/2 rows and W/2 columns of each sample (the rest
//! is computed and dropped: 31% more multiply-adds at 7x7, 15% at 14x14). The input gradient
//! adds `W_tᵀ · dY` into S's shape at the same shifts, and the weight gradient is
//! `dW_tᵀ = S[:, shifted] · dYᵀ`. The transposed convolution is this convolution's adjoint
//! (`conv.rs`), so these three passes serve both layers.

use burn::backend::flex::FlexTensor;
use burn::tensor::TensorData;

use super::{Operand, for_each_chunk, gemm};

/// The padded grid of a [B, C, H, W] input: B x (H/2 + 1) x (W/2 + 1) columns.
#[derive(Clone, Copy, Debug)]
struct Grid {
    batch: usize,
    /// The input's side (H, W), even.
    h: usize,
    w: usize,
}

impl Grid {
    fn new(batch: usize, h: usize, w: usize) -> Grid {
        Grid { batch, h, w }
    }
    /// Rows and columns of one sample's grid.
    fn hs(self) -> usize {
        self.h / 2 + 1
    }
    fn ws(self) -> usize {
        self.w / 2 + 1
    }
    fn columns(self) -> usize {
        self.batch * self.hs() * self.ws()
    }
    /// The columns each tap's product covers: every real output lies in the first
    /// `columns - o_max`, where the largest shift `o_max` still stays inside S.
    fn products(self) -> usize {
        self.columns() - self.ws() - 1
    }
    /// Tap t = (ty, tx)'s shift.
    fn shift(self, t: usize) -> usize {
        (t / 2) * self.ws() + t % 2
    }
}

/// S (above) of `x` [B, C, H, W] (contiguous): [4 C, columns], by rows. Parallel over channels.
fn space_to_depth(x: &[f32], channels: usize, g: Grid) -> Vec<f32> {
    let (hs, ws, n) = (g.hs(), g.ws(), g.columns());
    let mut s = vec![0f32; 4 * channels * n];
    for_each_chunk(&mut s, 4 * n, |c, rows| {
        for (p, row) in rows.chunks_exact_mut(n).enumerate() {
            let (py, px) = (p / 2, p % 2);
            for b in 0..g.batch {
                let plane = &x[(b * channels + c) * g.h * g.w..][..g.h * g.w];
                for i in 0..hs {
                    let Some(y) = (2 * i + py).checked_sub(1).filter(|&y| y < g.h) else {
                        continue;
                    };
                    let line = &plane[y * g.w..][..g.w];
                    let dst = &mut row[(b * hs + i) * ws..][..ws];
                    // Columns 2 j + px - 1 inside the line: j from 1 (px = 0, j = 0 is the
                    // left padding) or 0, to W/2 (px = 0) or W/2 - 1 (px = 1: then the right).
                    let (first, end) = if px == 0 { (1, ws) } else { (0, ws - 1) };
                    for j in first..end {
                        dst[j] = line[2 * j + px - 1];
                    }
                }
            }
        }
    });
    s
}

/// The weights [Co, C, 4, 4] as the four taps' matrices W_t [Co, 4 C] (rows of `(c, py, px)`),
/// one after another.
fn taps(w: &[f32], co: usize, c: usize) -> Vec<f32> {
    let mut out = vec![0f32; 4 * co * 4 * c];
    for t in 0..4 {
        let (ty, tx) = (t / 2, t % 2);
        for o in 0..co {
            for ci in 0..c {
                for p in 0..4 {
                    let (ky, kx) = (2 * ty + p / 2, 2 * tx + p % 2);
                    out[(t * co + o) * 4 * c + ci * 4 + p] = w[((o * c + ci) * 4 + ky) * 4 + kx];
                }
            }
        }
    }
    out
}

fn floats(t: &FlexTensor) -> FlexTensor {
    t.to_contiguous()
}

fn dims(t: &FlexTensor) -> [usize; 4] {
    let s = t.layout().shape();
    [s[0], s[1], s[2], s[3]]
}

/// `dy` [B, Co, H/2, W/2] on the padded grid, zero where the grid has no output: by rows
/// ([Co, columns]) or by positions ([columns, Co]).
fn on_grid(dy: &[f32], co: usize, g: Grid, by_positions: bool) -> Vec<f32> {
    let (ho, wo, hs, ws, n) = (g.h / 2, g.w / 2, g.hs(), g.ws(), g.columns());
    let mut out = vec![0f32; co * n];
    if by_positions {
        for_each_chunk(&mut out, hs * ws * co, |b, sample| {
            for o in 0..co {
                let plane = &dy[(b * co + o) * ho * wo..][..ho * wo];
                for (i, line) in plane.chunks_exact(wo).enumerate() {
                    for (j, &v) in line.iter().enumerate() {
                        sample[(i * ws + j) * co + o] = v;
                    }
                }
            }
        });
    } else {
        for_each_chunk(&mut out, n, |o, row| {
            for b in 0..g.batch {
                let plane = &dy[(b * co + o) * ho * wo..][..ho * wo];
                for (i, line) in plane.chunks_exact(wo).enumerate() {
                    row[(b * hs + i) * ws..][..wo].copy_from_slice(line);
                }
            }
        });
    }
    out
}

/// The convolution of `x` [B, C, H, W] with `w` [Co, C, 4, 4], plus `bias` [Co] if given:
/// [B, Co, H/2, W/2].
pub fn conv(x: &FlexTensor, w: &FlexTensor, bias: Option<&[f32]>) -> FlexTensor {
    let (x, w) = (floats(x), floats(w));
    let [batch, c, h, wd] = dims(&x);
    let co = dims(&w)[0];
    let g = Grid::new(batch, h, wd);
    let (n, p, k) = (g.columns(), g.products(), 4 * c);
    let s = space_to_depth(x.storage(), c, g);
    let taps = taps(w.storage(), co, c);
    let mut y = vec![0f32; co * n];
    for t in 0..4 {
        let a = Operand {
            data: &taps[t * co * k..][..co * k],
            rows: k as isize,
            cols: 1,
        };
        let b = Operand {
            data: &s[g.shift(t)..],
            rows: n as isize,
            cols: 1,
        };
        gemm(&mut y, n, t > 0, (co, p, k), a, b);
    }
    // The grid's real outputs, sample-major, with the bias.
    let (ho, wo, hs, ws) = (h / 2, wd / 2, g.hs(), g.ws());
    let mut out = vec![0f32; batch * co * ho * wo];
    for_each_chunk(&mut out, co * ho * wo, |b, sample| {
        for (o, plane) in sample.chunks_exact_mut(ho * wo).enumerate() {
            let add = bias.map_or(0.0, |bias| bias[o]);
            for (i, line) in plane.chunks_exact_mut(wo).enumerate() {
                let from = &y[o * n + (b * hs + i) * ws..][..wo];
                for (d, &v) in line.iter_mut().zip(from) {
                    *d = v + add;
                }
            }
        }
    });
    FlexTensor::from_data(TensorData::new(out, [batch, co, ho, wo]))
}

/// The adjoint of [`conv`] in its input (without bias): the gradient of x [B, C, 2 Ho, 2 Wo]
/// from `dy` [B, Co, Ho, Wo] and `w` [Co, C, 4, 4], plus `bias` [C] if given (the transposed
/// convolution's forward pass).
pub fn conv_adjoint(dy: &FlexTensor, w: &FlexTensor, bias: Option<&[f32]>) -> FlexTensor {
    let (dy, w) = (floats(dy), floats(w));
    let [batch, co, ho, wo] = dims(&dy);
    let c = dims(&w)[1];
    let (h, wd) = (2 * ho, 2 * wo);
    let g = Grid::new(batch, h, wd);
    let (n, p, k) = (g.columns(), g.products(), 4 * c);
    let dy_grid = on_grid(dy.storage(), co, g, false);
    let taps = taps(w.storage(), co, c);
    let mut ds = vec![0f32; k * n];
    for t in 0..4 {
        // W_tᵀ: [4 C, Co], the tap's matrix read by columns.
        let a = Operand {
            data: &taps[t * co * k..][..co * k],
            rows: 1,
            cols: k as isize,
        };
        let b = Operand {
            data: &dy_grid,
            rows: n as isize,
            cols: 1,
        };
        gemm(&mut ds[g.shift(t)..], n, true, (k, p, co), a, b);
    }
    // Back from S's shape to [B, C, H, W]: x[b, c, y, x] is S[(c, py, px), (b, i, j)] with
    // y = 2 i + py - 1, x = 2 j + px - 1.
    let (hs, ws) = (g.hs(), g.ws());
    let mut dx = vec![0f32; batch * c * h * wd];
    for_each_chunk(&mut dx, c * h * wd, |b, sample| {
        for (ci, plane) in sample.chunks_exact_mut(h * wd).enumerate() {
            let add = bias.map_or(0.0, |bias| bias[ci]);
            for (y, line) in plane.chunks_exact_mut(wd).enumerate() {
                let (i, py) = (y.div_ceil(2), (y + 1) % 2);
                for (x, d) in line.iter_mut().enumerate() {
                    let (j, px) = (x.div_ceil(2), (x + 1) % 2);
                    *d = ds[(ci * 4 + py * 2 + px) * n + (b * hs + i) * ws + j] + add;
                }
            }
        }
    });
    FlexTensor::from_data(TensorData::new(dx, [batch, c, h, wd]))
}

/// The gradient of [`conv`]'s weights [Co, C, 4, 4] from its input `x` [B, C, H, W] and `dy`
/// [B, Co, H/2, W/2].
pub fn conv_weight_grad(x: &FlexTensor, dy: &FlexTensor) -> FlexTensor {
    let (x, dy) = (floats(x), floats(dy));
    let [batch, c, h, wd] = dims(&x);
    let co = dims(&dy)[1];
    let g = Grid::new(batch, h, wd);
    let (n, p, k) = (g.columns(), g.products(), 4 * c);
    let s = space_to_depth(x.storage(), c, g);
    let dy_grid = on_grid(dy.storage(), co, g, true);
    // dW_tᵀ [4 C, Co] for each tap, one after another.
    let mut dwt = vec![0f32; 4 * k * co];
    for t in 0..4 {
        let a = Operand {
            data: &s[g.shift(t)..],
            rows: n as isize,
            cols: 1,
        };
        let b = Operand {
            data: &dy_grid,
            rows: co as isize,
            cols: 1,
        };
        gemm(
            &mut dwt[t * k * co..][..k * co],
            co,
            false,
            (k, co, p),
            a,
            b,
        );
    }
    let mut dw = vec![0f32; co * c * 16];
    for (o, filter) in dw.chunks_exact_mut(c * 16).enumerate() {
        for (ci, kernel) in filter.chunks_exact_mut(16).enumerate() {
            for (kk, d) in kernel.iter_mut().enumerate() {
                let (ky, kx) = (kk / 4, kk % 4);
                let t = (ky / 2) * 2 + kx / 2;
                let row = ci * 4 + (ky % 2) * 2 + kx % 2;
                *d = dwt[(t * k + row) * co + o];
            }
        }
    }
    FlexTensor::from_data(TensorData::new(dw, [co, c, 4, 4]))
}
