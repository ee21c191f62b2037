"""numpy full-batch gradient-descent trainers that write ``reluflow check`` run files.

Each trainer trains ``h(x) = sum_j a_j relu(<w_j, x>)`` by full-batch gradient descent the way a
torch loop would (a loss in the trainer's own convention, its gradient, a torch-style learning
rate) and records the run with ``python/reluflow_record.py`` at log-spaced steps::

    python3 python/tests/trainers.py KIND OUT.npz [--dtype float32|float64] [--seed S] [--verify]

Kinds (see ``KINDS``):

- ``paper-mse``: orthonormal inputs and labels meeting Assumptions 1-3, a small balanced
  initialisation, torch's MSE convention (loss ``mean((h - y)^2) = 2L``, ``loss_factor`` 2).
  The run goes through the paper's phases: the positive labels are fitted, a plateau at
  ``(1/2n) sum_{y<0} y^2``, the negative labels, zero loss.
- ``paper-loss``: the same run on the paper's ``L`` (``loss_factor`` 1) with twice the learning
  rate: the same trajectory, the same paper times.
- ``relu-prime-one``: inputs ``e_1..e_n``, ``relu'(0) = 1`` in the backward pass, and an init in
  which some coordinates ``<w_j, x_k>`` are exactly 0 with ``s_j y_k > 0``: they move off 0
  upwards (Lemma 6 fails).
- ``unbalanced``: the ``paper-mse`` data with ``a_j = 3 s_j |w_j|`` at init (not balanced).
- ``wrong-factor``: the ``paper-mse`` run saved as if its loss were the paper's (``loss_factor``
  1) while the logged ``train_loss`` is the MSE.
- ``stall``: 1-D inputs with a bias column, ``x_k = (t_k, 1)``, on which every neuron is dead on
  one point from the start and stays dead: GD stops at a stationary point of loss
  ``y_k^2 / (2n)`` for that point.

Every kind prints a one-line summary (final loss in the paper's convention, final paper time,
number of snapshots, wall time). ``--verify`` also runs the kind's checks in Python (plateau,
zero loss, Lemma 6, stationarity) and exits 1 if one fails. The data and the initialisation are
in the file (``x``, ``y``, ``a[0]``, ``w[0]``), so a run can be replayed with any simulator.
"""

from __future__ import annotations

import argparse
import os
import sys
import time as wallclock

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import reluflow_record  # noqa: E402  (python/ is put on the path above)

# The orthonormal-data runs: n = 6 points in d = 8, labels of both signs with |y| in [0.5, 1.5],
# sum_{y>0} y^2 = 5.38 > sum_{y<0} y^2 = 1.10 (Assumption 2, r = |D+|/|D-| = 2.21).
LABELS = np.array([1.5, -0.6, 1.3, -0.5, 1.2, -0.7])
N_POINTS, DIMENSION, WIDTH = 6, 8, 50
LAMBDA = 1e-5
LR_MSE = 0.01  # torch-style learning rate on MSELoss = 2L: the paper's step is eta = 0.02
STEPS = 12_500  # final paper time 250
SNAPSHOTS = 200

# The stalling run: x_k = (t_k, 1).
STALL_T = np.array([1.0, 2.0, -2.0])
STALL_Y = np.array([1.0, 1.5, 1.0])
STALL_WIDTH = 20
STALL_DEAD = 4  # neurons with s_j = -1, dead on every point
STALL_LAMBDA = 1e-3
STALL_LR = 0.05  # on MSELoss: eta = 0.1
STALL_STEPS = 20_000  # final paper time 2000

KINDS = ("paper-mse", "paper-loss", "relu-prime-one", "unbalanced", "wrong-factor", "stall")


# ---------------------------------------------------------------- data and initialisations


def orthonormal_inputs(rng, n, d):
    """The first n rows of a Haar-random orthogonal d x d matrix (QR with R's diagonal made positive)."""
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    q = q * np.sign(np.diag(r))[None, :]
    return q[:n].copy()


def in_s_one(x, y, a, w):
    """Membership of S+,1 and S-,1 (eq. 5-6): s_j = +-1 and <w_j, x_k> >= 0 on every label of that sign."""
    coords = w @ x.T  # (m, n)
    s = np.sign(a)
    plus = (s > 0) & np.all(coords[:, y > 0] >= 0, axis=1)
    minus = (s < 0) & np.all(coords[:, y < 0] >= 0, axis=1)
    return plus, minus


def balanced_init(rng, x, y, m, lam):
    """w_j = lam g_j, a_j = s_j |w_j| (eq. 4), redrawn (deterministically, from rng) until
    Assumption 3 holds. Returns (a, w, redraws)."""
    for redraws in range(1000):
        w = lam * rng.standard_normal((m, x.shape[1]))
        s = rng.choice([-1.0, 1.0], size=m)
        a = s * np.linalg.norm(w, axis=1)
        plus, minus = in_s_one(x, y, a, w)
        if plus.any() and minus.any():
            return a, w, redraws
    raise RuntimeError("Assumption 3 never held in 1000 draws: widen the network")


def paper_data(seed, basis=False):
    """(x, y, a0, w0, redraws) of the orthonormal runs, all float64."""
    rng = np.random.default_rng(seed)
    x = np.eye(N_POINTS, DIMENSION) if basis else orthonormal_inputs(rng, N_POINTS, DIMENSION)
    y = LABELS.copy()
    a, w, redraws = balanced_init(rng, x, y, WIDTH, LAMBDA)
    return x, y, a, w, redraws


def zero_coordinates(x, y, a, w):
    """Sets <w_j, x_k> = 0 exactly (x = standard basis vectors) wherever it is negative with
    s_j y_k > 0 on the first positive and the first negative label, and rebalances a.
    Returns the list of (j, k) set to zero."""
    w = w.copy()
    s = np.sign(a)
    zeroed = []
    for k in (int(np.flatnonzero(y > 0)[0]), int(np.flatnonzero(y < 0)[0])):
        coordinate = int(np.flatnonzero(x[k])[0])
        for j in range(w.shape[0]):
            if s[j] * y[k] > 0 and w[j, coordinate] < 0:
                w[j, coordinate] = 0.0
                zeroed.append((j, k))
    return s * np.linalg.norm(w, axis=1), w, zeroed


def stall_data(seed):
    """(x, y, a0, w0): x_k = (t_k, 1); 16 neurons with s_j = +1, active on t = 1, 2 and dead on
    t = -2; 4 neurons with s_j = -1, dead on every point."""
    rng = np.random.default_rng(seed)
    x = np.stack([STALL_T, np.ones_like(STALL_T)], axis=1)
    y = STALL_Y.copy()
    live = STALL_WIDTH - STALL_DEAD
    g1 = np.abs(rng.standard_normal(live)) + 0.5
    g2 = rng.uniform(-0.5, 1.5, size=live) * g1  # g1 + g2 > 0, 2 g1 + g2 > 0, -2 g1 + g2 < 0
    u = rng.standard_normal(STALL_DEAD)
    dead = np.stack([u, -(2.0 * np.abs(u) + 0.5 + np.abs(rng.standard_normal(STALL_DEAD)))], axis=1)
    w = STALL_LAMBDA * np.concatenate([np.stack([g1, g2], axis=1), dead])
    s = np.concatenate([np.ones(live), -np.ones(STALL_DEAD)])
    return x, y, s * np.linalg.norm(w, axis=1), w


# ---------------------------------------------------------------- the trainer


def paper_loss(x, y, a, w):
    """The paper's L = 1/(2n) sum_k (h(x_k) - y_k)^2, in float64."""
    x, y, a, w = (np.asarray(v, dtype=np.float64) for v in (x, y, a, w))
    h = np.maximum(w @ x.T, 0.0).T @ a
    return float(np.mean((h - y) ** 2) / 2.0)


def paper_gradient(x, y, a, w, relu_prime_at_zero=0.0):
    """(dL/da, dL/dw) of the paper's L, in the dtype of the arguments."""
    n = x.shape[0]
    pre = w @ x.T  # (m, n)
    act = np.maximum(pre, 0)
    residual = act.T @ a - y  # (n,)
    slope = (pre > 0).astype(w.dtype)
    if relu_prime_at_zero:
        slope[pre == 0] = relu_prime_at_zero
    inv_n = w.dtype.type(1.0 / n)
    grad_a = inv_n * (act @ residual)
    grad_w = inv_n * ((slope * residual[None, :]) * a[:, None]) @ x
    return grad_a, grad_w, residual


def train(x, y, a, w, *, lr, loss_factor, steps, recorder, dtype, relu_prime_at_zero=0.0):
    """Full-batch GD on loss_factor * L with learning rate lr, computed in dtype throughout;
    records at the recorder's schedule with train_loss in the trainer's convention."""
    dt = np.dtype(dtype)
    x, y, a, w = (np.array(v, dtype=dt) for v in (x, y, a, w))
    n = x.shape[0]
    step_a = dt.type(lr * loss_factor)  # the gradient of loss_factor * L is loss_factor * grad L
    half_factor_over_n = dt.type(loss_factor / (2.0 * n))
    for step in range(steps + 1):
        grad_a, grad_w, residual = paper_gradient(x, y, a, w, relu_prime_at_zero)
        if recorder.should_record(step):
            train_loss = half_factor_over_n * np.dot(residual, residual)  # loss_factor * L, in dt
            recorder.record(step, a, w, train_loss=train_loss)
        if step < steps:
            a = a - step_a * grad_a
            w = w - step_a * grad_w
    return a, w


def run(kind, out, dtype="float64", seed=0, relu_prime_at_zero=None):
    """Trains and records one kind; returns a dict summary (and writes `out`).

    ``relu_prime_at_zero`` overrides the kind's relu'(0) (0 for every kind but
    ``relu-prime-one``): the specificity control of that kind runs its init with 0."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")
    start = wallclock.perf_counter()
    info = {"kind": kind, "dtype": dtype, "seed": seed}
    relu_prime = 0.0
    if kind == "stall":
        x, y, a0, w0 = stall_data(seed)
        lam, lr, steps, loss, factor = STALL_LAMBDA, STALL_LR, STALL_STEPS, "mse", 2.0
    else:
        x, y, a0, w0, redraws = paper_data(seed, basis=(kind == "relu-prime-one"))
        info["redraws"] = redraws
        lam, lr, steps, loss, factor = LAMBDA, LR_MSE, STEPS, "mse", 2.0
        if kind == "paper-loss":
            lr, loss, factor = 2.0 * LR_MSE, "paper", 1.0
        elif kind == "relu-prime-one":
            a0, w0, zeroed = zero_coordinates(x, y, a0, w0)
            info["zeroed"] = zeroed
            relu_prime = 1.0
        elif kind == "unbalanced":
            a0 = 3.0 * a0
    if relu_prime_at_zero is not None:
        relu_prime = float(relu_prime_at_zero)
    dt = np.dtype(dtype)
    # the file records the data as the network saw it (in the training dtype)
    x_seen, y_seen = x.astype(dt), y.astype(dt)
    recorded_loss = "paper" if kind == "wrong-factor" else loss
    rec = reluflow_record.Recorder(x_seen, y_seen, lr=lr, loss=recorded_loss, lam=lam, steps=(steps, SNAPSHOTS))
    a, w = train(x_seen, y_seen, a0, w0, lr=lr, loss_factor=factor, steps=steps, recorder=rec, dtype=dt,
                 relu_prime_at_zero=relu_prime)
    rec.save(out)
    info.update(
        out=out, n=x.shape[0], d=x.shape[1], m=a0.shape[0], lam=lam, lr=lr, loss=loss,
        recorded_loss_factor=rec.loss_factor, steps=steps, snapshots=len(rec),
        paper_step=lr * factor, final_time=steps * lr * factor, file_final_time=steps * lr * rec.loss_factor,
        final_loss=paper_loss(x_seen, y_seen, a, w), seconds=wallclock.perf_counter() - start,
    )
    return info


# ---------------------------------------------------------------- checks on a written run


def load(path):
    """The run file's arrays, with the paper times `t` and the paper losses `L` per snapshot."""
    with np.load(path) as z:
        run_arrays = {k: z[k] for k in z.files}
    run_arrays["t"] = run_arrays["step"] * float(run_arrays["lr"]) * float(run_arrays["loss_factor"])
    run_arrays["L"] = np.array(
        [paper_loss(run_arrays["x"], run_arrays["y"], a, w) for a, w in zip(run_arrays["a"], run_arrays["w"])]
    )
    return run_arrays


def plateau(run_arrays, rel=0.02, time_scale=1.0):
    """The paper times (the file's, times `time_scale`) at which L is within `rel` of
    (1/2n) sum_{y<0} y^2: (level, first, last, count)."""
    y = run_arrays["y"].astype(np.float64)
    level = float(np.sum(y[y < 0] ** 2) / (2 * y.size))
    near = np.abs(run_arrays["L"] - level) <= rel * level
    times = time_scale * run_arrays["t"][near]
    if times.size == 0:
        return level, None, None, 0
    return level, float(times[0]), float(times[-1]), int(times.size)


def predicted_times(run_arrays):
    """(-ln(lambda)/|D+|, -ln(lambda)/|D-|) of the run (lambda from the file)."""
    x, y = run_arrays["x"].astype(np.float64), run_arrays["y"].astype(np.float64)
    d_plus = np.linalg.norm((y[y > 0, None] * x[y > 0]).sum(axis=0)) / y.size
    d_minus = np.linalg.norm((y[y < 0, None] * x[y < 0]).sum(axis=0)) / y.size
    log = -np.log(float(run_arrays["lambda"]))
    return log / d_plus, log / d_minus


def l6_largest_rise(run_arrays):
    """Lemma 6 on the snapshots: the largest value a coordinate <w_j, x_k> takes after a snapshot
    at which it was <= 0, against a rounding budget 64 eps max_t |w_j(t)| max_k |x_k|.
    Returns (largest rise, budget, number of (j, k) pairs over budget)."""
    x = run_arrays["x"].astype(np.float64)
    w = run_arrays["w"]
    eps = np.finfo(w.dtype).eps
    coords = np.einsum("tmd,nd->tmn", w.astype(np.float64), x)  # (T, m, n)
    reached = np.maximum.accumulate(coords <= 0, axis=0)  # reached <= 0 at this snapshot or before
    after = np.where(reached, coords, -np.inf)
    rise = after.max(axis=0)  # (m, n)
    budget = 64 * eps * np.linalg.norm(w.astype(np.float64), axis=2).max(axis=0)[:, None] * np.linalg.norm(x, axis=1).max()
    return float(rise.max()), float(budget.max()), int(np.sum(rise > budget))


def final_gradient(run_arrays):
    """(|grad L| at the last snapshot, its ratio to the largest |grad L| over the snapshots)."""
    x, y = run_arrays["x"].astype(np.float64), run_arrays["y"].astype(np.float64)
    norms = []
    for a, w in zip(run_arrays["a"].astype(np.float64), run_arrays["w"].astype(np.float64)):
        grad_a, grad_w, _ = paper_gradient(x, y, a, w)
        norms.append(np.sqrt(np.sum(grad_a**2) + np.sum(grad_w**2)))
    return float(norms[-1]), float(norms[-1] / max(norms))


def imbalance(run_arrays):
    """max_j |a_j^2 - |w_j|^2| / (a_j^2 + |w_j|^2) at init."""
    a, w = run_arrays["a"][0].astype(np.float64), run_arrays["w"][0].astype(np.float64)
    wn = np.sum(w**2, axis=1)
    return float(np.max(np.abs(a**2 - wn) / (a**2 + wn)))


def verify(kind, path):
    """The kind's own checks on the written file: a list of (name, ok, detail)."""
    run_arrays = load(path)
    checks = []
    eps = float(np.finfo(run_arrays["w"].dtype).eps)
    final_loss = float(run_arrays["L"][-1])
    if kind in ("paper-mse", "paper-loss", "unbalanced", "relu-prime-one", "wrong-factor"):
        checks.append(("zero loss (L < 1e-10)", final_loss < 1e-10, f"L_final = {final_loss:.3e}"))
    if kind in ("paper-mse", "paper-loss", "wrong-factor"):
        # wrong-factor: the file's times are half the true ones; the plateau is where it is
        # at the true times
        scale = 2.0 if kind == "wrong-factor" else 1.0
        level, first, last, count = plateau(run_arrays, time_scale=scale)
        t_plus, t_minus = predicted_times(run_arrays)
        ok = count >= 5 and first is not None and last - first >= 0.3 * (t_minus - t_plus)
        checks.append(("plateau at (1/2n) sum_{y<0} y^2" + (" (at 2 x the file's times)" if scale != 1.0 else ""), ok,
                       f"level {level:.5f}: L within 2% on t in [{first}, {last}] ({count} snapshots); "
                       f"-ln(lambda)/|D+| = {t_plus:.2f}, -ln(lambda)/|D-| = {t_minus:.2f}"))
    if kind != "stall":
        rise, budget, over = l6_largest_rise(run_arrays)
        expect_hold = kind != "relu-prime-one"
        checks.append(("L6 holds" if expect_hold else "L6 fails", (over == 0) == expect_hold,
                       f"largest rise after <= 0: {rise:.3e} (budget {budget:.1e}, {over} pairs over)"))
    if kind == "unbalanced":
        value = imbalance(run_arrays)
        checks.append(("unbalanced at init", value > 0.5, f"max relative |a^2 - |w|^2| = {value:.3f}"))
    elif kind != "stall":
        value = imbalance(run_arrays)
        checks.append(("balanced at init", value < 1e3 * eps, f"max relative |a^2 - |w|^2| = {value:.1e}"))
    if kind == "wrong-factor":
        logged = run_arrays["train_loss"]
        claimed = float(run_arrays["loss_factor"]) * run_arrays["L"]
        ratio = float(np.median(logged[claimed > 1e-8] / claimed[claimed > 1e-8]))
        checks.append(("train_loss = 2 x claimed factor x L", abs(ratio - 2.0) < 1e-3, f"median logged / (factor L) = {ratio:.6f}"))
    if kind == "stall":
        grad, relative = final_gradient(run_arrays)
        y = run_arrays["y"].astype(np.float64)
        expected = float(y[-1] ** 2 / (2 * y.size))
        # float64: below 1e-8 of the largest gradient; float32 stops at its own resolution
        threshold = max(1e-8, 64 * eps)
        checks.append((f"stationary (|grad L| < {threshold:.1e} relative)", relative < threshold,
                       f"|grad L| = {grad:.3e}, relative to the largest over the run {relative:.3e}"))
        checks.append(("loss stays at y_3^2/(2n)", abs(final_loss - expected) < 1e-6 * expected,
                       f"L_final = {final_loss:.10f}, y_3^2/(2n) = {expected:.10f}"))
        coords = np.einsum("tmd,nd->tmn", run_arrays["w"].astype(np.float64), run_arrays["x"].astype(np.float64))
        checks.append(("point 3 dead on every neuron at every snapshot", bool(np.all(coords[:, :, 2] < 0)),
                       f"largest <w_j, x_3> over the run: {coords[:, :, 2].max():.3e}"))
    return checks


def summary_line(info):
    return (f"{info['kind']} {info['dtype']} seed={info['seed']}: n={info['n']} d={info['d']} m={info['m']} "
            f"lambda={info['lam']:g} lr={info['lr']:g} ({info['loss']}, eta={info['paper_step']:g}) "
            f"steps={info['steps']} snapshots={info['snapshots']} final paper time={info['final_time']:g} "
            + (f"(the file claims {info['file_final_time']:g}) " if info['file_final_time'] != info['final_time'] else "")
            + f"final L={info['final_loss']:.3e} ({info['seconds']:.2f} s) -> {info['out']}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("out", help="the .npz run file to write")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float64")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verify", action="store_true", help="also run the kind's checks in Python")
    args = parser.parse_args(argv)
    info = run(args.kind, args.out, dtype=args.dtype, seed=args.seed)
    print(summary_line(info))
    if args.verify:
        failed = False
        for name, ok, detail in verify(args.kind, args.out):
            print(f"  {'ok  ' if ok else 'FAIL'} {name}: {detail}")
            failed |= not ok
        return 1 if failed else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
