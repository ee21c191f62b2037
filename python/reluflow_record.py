"""Record a training run of a one-hidden-layer ReLU network for ``reluflow check``.

Pure numpy: this module imports neither torch nor JAX. A training loop hands it the
parameters of ``h(x) = sum_j a_j relu(<w_j, x>)`` (numpy arrays, torch tensors or JAX arrays)
at chosen steps; :meth:`Recorder.save` writes the ``.npz`` run file that
``reluflow check run.npz`` judges against Boursier, Pillaud-Vivien and Flammarion (NeurIPS 2022).

The run file
------------
A numpy ``.npz`` archive (the format of ``numpy.savez``) with the arrays

=============  ============  ===========================================================
array          shape         meaning
=============  ============  ===========================================================
``x``          (n, d)        the inputs exactly as the network saw them (a bias column included)
``y``          (n,)          the labels
``a``          (T, m)        output weights at the T recorded points; the first is the initialisation
``w``          (T, m, d)     hidden weights at the same points
``step``       (T,) int64    the trainer's step counter at each snapshot (step clock)
``lr``         () float64    the learning rate the trainer used (step clock)
``loss_factor`` () float64   the trainer's loss divided by the paper's L (step clock)
``time``       (T,) float64  or: the paper's time of each snapshot (time clock, flow integrators)
``rtol``       () float64    optional, time clock: the integrator's relative tolerance
``train_loss`` (T,) float64  optional: the loss the trainer logged, in its own convention
``lambda``     () float64    optional: the initialisation scale (else reluflow estimates it)
=============  ============  ===========================================================

``a`` and ``w`` keep the dtype they were recorded in (a float32 training stays float32, and
reluflow derives its rounding budgets from it); ``x`` and ``y`` too.

The loss factor and the paper's time
------------------------------------
The paper's loss is ``L = 1/(2n) sum_k (h(x_k) - y_k)^2``. A torch ``nn.MSELoss()`` (the mean of
the squares) is ``2 L``: ``loss="mse"`` writes ``loss_factor = 2``; ``loss="paper"`` writes 1;
``loss="sum"`` (``MSELoss(reduction="sum")``, the sum of squares) writes ``2n``; a positive number
is taken as the factor itself. A gradient step of size ``lr`` on ``loss_factor * L`` is a step of
``eta = lr * loss_factor`` on ``L``, so reluflow places snapshot ``i`` at the paper's time

    t_i = step_i * lr * loss_factor.

``train_loss`` must be what the trainer logged, in its own convention (``loss_factor * L``);
reluflow recomputes ``L`` from the snapshots and reports a mismatch.

Which steps to record
---------------------
The paper's phases are spread over a logarithmic time scale (alignment at ``t ~ eps ln(1/lambda)``,
plateaus around ``ln(1/lambda)/|D+|`` and ``ln(1/lambda)/|D-|``, then exponential convergence), so
snapshots at log-spaced steps (:func:`log_spaced_steps`, some 100-200 of them) show everything at a
small cost. Pass ``steps=(total_steps, count)`` and ask :meth:`Recorder.should_record` at every step.

Example: PyTorch
----------------
::

    import torch, reluflow_record as rr
    x_t = torch.as_tensor(x, dtype=torch.float32)              # x (n, d), as the network sees it
    y_t = torch.as_tensor(y, dtype=torch.float32)              # y (n,)
    hidden = torch.nn.Linear(d, m, bias=False)                 # hidden.weight: W, shape (m, d)
    out = torch.nn.Linear(m, 1, bias=False)                    # out.weight: a, shape (1, m)
    with torch.no_grad():                                      # balanced small init
        hidden.weight.copy_(lam * torch.randn(m, d))
        signs = torch.randint(0, 2, (m,)) * 2 - 1
        out.weight.copy_((signs * hidden.weight.norm(dim=1))[None, :])
    opt = torch.optim.SGD(list(hidden.parameters()) + list(out.parameters()), lr=lr)
    mse = torch.nn.MSELoss()
    rec = rr.Recorder(x_t, y_t, lr=lr, loss="mse", lam=lam, steps=(total, 150))
    for step in range(total + 1):
        loss = mse(out(torch.relu(hidden(x_t))).squeeze(1), y_t)
        if rec.should_record(step):
            rec.record(step, out.weight, hidden.weight, train_loss=loss.item())
        if step < total:
            opt.zero_grad(); loss.backward(); opt.step()
    rec.save("run.npz")

(torch's ReLU has ``relu'(0) = 0``, as the paper's flow.) Tensors are copied when recorded
(``.detach().cpu().numpy()``, then ``numpy.array``), so in-place optimiser updates do not alter
earlier snapshots. An ``a`` of shape (1, m) or (m, 1) is flattened.

Example: JAX
------------
::

    import jax, jax.numpy as jnp, reluflow_record as rr
    def mse(params, x, y):
        a, w = params
        return jnp.mean((jax.nn.relu(x @ w.T) @ a - y) ** 2)
    grad = jax.jit(jax.value_and_grad(mse))
    x, y = jnp.asarray(x), jnp.asarray(y)                      # float32 unless jax_enable_x64
    params = (jnp.asarray(a0), jnp.asarray(w0))                # a0 (m,), w0 (m, d), same dtype
    rec = rr.Recorder(x, y, lr=lr, loss="mse", lam=lam, steps=(total, 150))
    for step in range(total + 1):
        loss, g = grad(params, x, y)
        if rec.should_record(step):
            rec.record(step, params[0], params[1], train_loss=float(loss))
        params = jax.tree_util.tree_map(lambda p, q: p - lr * q, params, g)
    rec.save("run.npz")

Flow integrators
----------------
``Recorder(x, y, clock="time", rtol=1e-10)`` records ``rec.record(a=a, w=w, time=t)`` at the
paper's times ``t`` (optionally ``step=`` the integrator's accepted steps); it writes ``time``
instead of ``lr``/``loss_factor``, and a logged ``train_loss`` must then be the paper's ``L``.
"""

from __future__ import annotations

import math
import numbers
import os
import zipfile

import numpy as np

__all__ = ["Recorder", "log_spaced_steps", "loss_factor_of", "to_numpy"]

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def log_spaced_steps(total, count):
    """Up to ``count`` unique integer steps in ``[0, total]``, log-spaced, always with 0 and ``total``.

    The steps are ``0`` and the rounded points of a geometric grid from 1 to ``total``; where
    rounding makes two of them equal (the early steps), the duplicates are replaced by the
    consecutive integers, so the result has exactly ``min(count, total + 1)`` sorted steps.
    """
    total = _integer("total", total)
    count = _integer("count", count)
    if total < 0:
        raise ValueError(f"log_spaced_steps: total = {total} must be >= 0")
    if count < 2 and total > 0:
        raise ValueError(f"log_spaced_steps: count = {count} must be >= 2 (the steps 0 and total)")
    if count < 1:
        raise ValueError(f"log_spaced_steps: count = {count} must be >= 1")
    if count >= total + 1:
        return np.arange(total + 1, dtype=np.int64)
    # Fill the first k integers 0..k-1 densely, then a geometric grid from k to total with the
    # remaining count - k points, choosing the smallest k at which that grid's spacing is >= 1.
    for k in range(1, count):
        rest = count - k
        if rest == 1:
            grid = np.array([total], dtype=np.int64)
        else:
            grid = np.rint(np.geomspace(k, total, rest)).astype(np.int64)
        if grid[0] >= k and np.all(np.diff(grid) >= 1):
            steps = np.concatenate([np.arange(k, dtype=np.int64), grid])
            return steps
    return np.arange(total + 1, dtype=np.int64)  # unreachable: k = count - 1 always works


def loss_factor_of(loss, n=None):
    """The factor ``trainer loss / paper L`` of a loss convention.

    ``"mse"`` (mean of squares, torch ``MSELoss``) -> 2.0; ``"paper"`` (``1/(2n) sum``) -> 1.0;
    ``"sum"`` (sum of squares, ``MSELoss(reduction="sum")``) -> ``2n`` (needs ``n``); a positive
    finite number -> itself.
    """
    if isinstance(loss, str):
        key = loss.strip().lower()
        if key == "mse":
            return 2.0
        if key == "paper":
            return 1.0
        if key == "sum":
            if n is None:
                raise ValueError('loss="sum" needs the number of points n')
            return 2.0 * float(n)
        raise ValueError(
            f'unknown loss {loss!r}: expected "mse" (mean of squares, torch MSELoss: factor 2), '
            '"paper" (1/(2n) sum of squares: factor 1), "sum" (sum of squares: factor 2n) '
            "or a positive number (the trainer's loss divided by the paper's L)"
        )
    if isinstance(loss, numbers.Real) and not isinstance(loss, bool):
        value = float(loss)
        if math.isfinite(value) and value > 0:
            return value
        raise ValueError(f"loss factor {loss!r} must be a positive finite number")
    raise ValueError(f"loss must be a string or a positive number, not {type(loss).__name__}")


def to_numpy(value):
    """``value`` as a numpy array: torch tensors through ``.detach().cpu().numpy()`` (duck typed:
    whatever has ``detach``), everything else (numpy, JAX, lists, scalars) through ``numpy.asarray``.
    No copy is made here; :class:`Recorder` copies what it keeps."""
    if hasattr(value, "detach"):
        value = value.detach()
        if hasattr(value, "cpu"):
            value = value.cpu()
        if hasattr(value, "numpy"):
            value = value.numpy()
    return np.asarray(value)


def _integer(name, value):
    value = to_numpy(value) if not isinstance(value, numbers.Integral) else value
    if isinstance(value, np.ndarray):
        if value.ndim != 0 or not np.issubdtype(value.dtype, np.integer):
            raise ValueError(f"{name} must be an integer, got {value!r}")
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    return int(value)


def _positive_scalar(name, value):
    arr = to_numpy(value)
    if arr.ndim != 0 and arr.size != 1:
        raise ValueError(f"{name} must be a scalar, got an array of shape {arr.shape}")
    try:
        number = float(arr.reshape(()))
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not (math.isfinite(number) and number > 0):
        raise ValueError(f"{name} = {number} must be a positive finite number")
    return number


def _float_array(name, value):
    arr = to_numpy(value)
    if arr.dtype in _FLOAT_DTYPES:
        return arr
    if np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_:
        return arr.astype(np.float64)
    raise ValueError(
        f"{name} has dtype {arr.dtype}; expected float32 or float64 "
        "(convert bfloat16/float16 parameters with .float() or .astype(numpy.float32))"
    )


class Recorder:
    """Collects snapshots of ``(a, w)`` during training and writes a ``reluflow check`` run file.

    Parameters
    ----------
    x, y:
        The training data as the network saw it: ``x`` of shape (n, d) (a bias column
        included), ``y`` of shape (n,) (or (n, 1)).
    lr:
        The learning rate of the trainer (step clock; required there, refused with ``clock="time"``).
    loss:
        The trainer's loss convention, required with the step clock: ``"mse"`` (torch
        ``MSELoss``, factor 2), ``"paper"`` (factor 1), ``"sum"`` (factor 2n) or the factor as a
        number. With ``clock="time"`` only ``"paper"`` (or nothing) is accepted.
    lam:
        Optional initialisation scale ``lambda`` (written as ``lambda``); else reluflow estimates it.
    steps:
        Which steps :meth:`should_record` accepts: ``None`` (every step), ``(total_steps, count)``
        (``log_spaced_steps(total_steps, count)``) or a sequence of integer steps.
    clock:
        ``"steps"`` (a discrete trainer, default) or ``"time"`` (snapshots at paper times).
    rtol:
        Optional, time clock: the integrator's relative tolerance (written as ``rtol``).
    """

    def __init__(self, x, y, lr=None, loss=None, lam=None, steps=None, clock="steps", rtol=None):
        x_arr = _float_array("x", x)
        y_arr = _float_array("y", y)
        if x_arr.ndim != 2:
            raise ValueError(f"x must have shape (n, d), got shape {x_arr.shape}")
        n, d = x_arr.shape
        if n == 0 or d == 0:
            raise ValueError(f"x must have n >= 1 points of dimension d >= 1, got shape {x_arr.shape}")
        if y_arr.ndim == 2 and y_arr.shape[1] == 1:
            y_arr = y_arr[:, 0]
        if y_arr.shape != (n,):
            raise ValueError(f"y must have shape (n,) = ({n},) to match x of shape {x_arr.shape}, got shape {y_arr.shape}")
        for name, arr in (("x", x_arr), ("y", y_arr)):
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{name} holds a non-finite value")
        self.x = np.array(x_arr, copy=True)
        self.y = np.array(y_arr, copy=True)
        self.n, self.d = n, d

        if clock not in ("steps", "time"):
            raise ValueError(f'unknown clock {clock!r}: expected "steps" (a discrete trainer) or "time" (paper times)')
        self.clock = clock
        if clock == "steps":
            if lr is None:
                raise ValueError("lr is required with the step clock: the learning rate the trainer used")
            if loss is None:
                raise ValueError(
                    'loss is required with the step clock: "mse" (mean of squares, torch MSELoss) '
                    'or "paper" (1/(2n) sum of squares), "sum", or the factor as a number'
                )
            self.lr = _positive_scalar("lr", lr)
            self.loss_factor = loss_factor_of(loss, n)
            if rtol is not None:
                raise ValueError('rtol is for clock="time" (an integrator\'s tolerance)')
            self.rtol = None
        else:
            if lr is not None:
                raise ValueError('lr is for the step clock; with clock="time" record the paper times instead')
            if loss is not None and loss_factor_of(loss, n) != 1.0:
                raise ValueError('with clock="time", train_loss must be the paper\'s L: pass loss="paper" (or nothing)')
            self.lr = None
            self.loss_factor = None
            self.rtol = None if rtol is None else _positive_scalar("rtol", rtol)
        self.lam = None if lam is None else _positive_scalar("lam", lam)

        if steps is None:
            self._schedule = None
        elif clock == "time":
            raise ValueError('steps= selects trainer steps; with clock="time" call record(time=...) where you like')
        elif isinstance(steps, tuple) and len(steps) == 2 and all(isinstance(s, numbers.Integral) for s in steps):
            self._schedule = log_spaced_steps(steps[0], steps[1])
        else:
            values = [_integer("steps entry", s) for s in steps]
            if any(s < 0 for s in values):
                raise ValueError("steps entries must be >= 0")
            self._schedule = np.unique(np.array(values, dtype=np.int64))
        self._schedule_set = None if self._schedule is None else set(int(s) for s in self._schedule)

        self._a = []
        self._w = []
        self._steps = []
        self._times = []
        self._losses = []
        self.m = None
        self.dtype = None

    @property
    def schedule(self):
        """The steps :meth:`should_record` accepts (an int64 array), or ``None`` for every step."""
        return None if self._schedule is None else self._schedule.copy()

    def __len__(self):
        """The number of snapshots recorded so far."""
        return len(self._a)

    def should_record(self, step):
        """Whether ``step`` is in the schedule and after the last recorded step."""
        step = _integer("step", step)
        if self._steps and self._steps[-1] is not None and step <= self._steps[-1]:
            return False
        return self._schedule_set is None or step in self._schedule_set

    def record(self, step=None, a=None, w=None, train_loss=None, *, time=None):
        """Records one snapshot: ``a`` of shape (m,) (or (1, m), (m, 1)) and ``w`` of shape (m, d).

        Step clock: ``step`` (an integer, increasing strictly) is required and ``time`` refused.
        Time clock: ``time`` (the paper's time, increasing strictly) is required and ``step``
        optional (the integrator's accepted steps, increasing strictly if given at all).
        ``train_loss`` is the loss the trainer logged, in its own convention. The arrays are
        copied; their dtype (float32 or float64) is kept and must agree between ``a``, ``w``
        and all snapshots.
        """
        index = len(self._a)
        where = f"snapshot {index}"
        if self.clock == "steps":
            if step is None:
                raise ValueError(f"{where}: step is required with the step clock")
            if time is not None:
                raise ValueError(f'{where}: time= is for clock="time"; this recorder counts steps')
        elif time is None:
            raise ValueError(f'{where}: time is required with clock="time"')
        if step is not None:
            step = _integer("step", step)
            if step < 0:
                raise ValueError(f"{where}: step = {step} must be >= 0")
            if index > 0:
                previous = self._steps[-1]
                if previous is None:
                    raise ValueError(f"{where}: step given here but not at snapshot 0 (give it at every snapshot or none)")
                if step <= previous:
                    raise ValueError(f"{where}: step = {step} must be greater than the previous snapshot's step {previous}")
            where = f"snapshot {index} (step {step})"
        elif index > 0 and self._steps[-1] is not None:
            raise ValueError(f"{where}: step missing here but given before (give it at every snapshot or none)")
        if time is not None:
            time = float(to_numpy(time).reshape(()))
            if not math.isfinite(time) or time < 0:
                raise ValueError(f"{where}: time = {time} must be finite and >= 0")
            if index > 0 and time <= self._times[-1]:
                raise ValueError(f"{where}: time = {time} must be greater than the previous snapshot's time {self._times[-1]}")
        if a is None or w is None:
            raise ValueError(f"{where}: both a (shape (m,)) and w (shape (m, d)) are required")

        a_arr = _float_array("a", a)
        w_arr = _float_array("w", w)
        if w_arr.ndim != 2 or w_arr.shape[1] != self.d:
            raise ValueError(f"{where}: w must have shape (m, d) = (m, {self.d}), got shape {w_arr.shape}")
        m = w_arr.shape[0]
        if a_arr.ndim == 2 and 1 in a_arr.shape:
            a_arr = a_arr.reshape(-1)
        if a_arr.shape != (m,):
            raise ValueError(f"{where}: a must have shape (m,) = ({m},) to match w of shape {w_arr.shape}, got shape {a_arr.shape}")
        if m == 0:
            raise ValueError(f"{where}: the network has no neuron (m = 0)")
        if a_arr.dtype != w_arr.dtype:
            raise ValueError(f"{where}: a has dtype {a_arr.dtype} but w has dtype {w_arr.dtype}; record both in the precision of training")
        if self.m is not None and m != self.m:
            raise ValueError(f"{where}: width m = {m} differs from the first snapshot's m = {self.m}")
        if self.dtype is not None and w_arr.dtype != self.dtype:
            raise ValueError(f"{where}: dtype {w_arr.dtype} differs from the first snapshot's {self.dtype}")
        for name, arr in (("a", a_arr), ("w", w_arr)):
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{where}: {name} holds a non-finite value (a diverged run cannot be judged)")
        loss_value = None
        if train_loss is not None:
            loss_value = float(to_numpy(train_loss).reshape(()))
            if not math.isfinite(loss_value):
                raise ValueError(f"{where}: train_loss = {loss_value} is not finite")
        if index > 0 and (loss_value is None) != (self._losses[-1] is None):
            raise ValueError(f"{where}: train_loss must be given at every snapshot or at none")

        self.m, self.dtype = m, w_arr.dtype
        self._a.append(np.array(a_arr, copy=True))
        self._w.append(np.array(w_arr, copy=True))
        self._steps.append(step)
        self._times.append(time)
        self._losses.append(loss_value)

    def arrays(self):
        """The run file's arrays as a dict (``a`` and ``w`` stacked: a copy of every snapshot)."""
        out = self._scalars_and_small()
        out["a"] = np.stack(self._a)
        out["w"] = np.stack(self._w)
        return out

    def _scalars_and_small(self):
        if not self._a:
            raise ValueError("no snapshot recorded (T = 0): record at least the initialisation")
        out = {"x": self.x, "y": self.y}
        if self.clock == "steps":
            out["step"] = np.array(self._steps, dtype=np.int64)
            out["lr"] = np.array(self.lr, dtype=np.float64)
            out["loss_factor"] = np.array(self.loss_factor, dtype=np.float64)
        else:
            out["time"] = np.array(self._times, dtype=np.float64)
            if self._steps[0] is not None:
                out["step"] = np.array(self._steps, dtype=np.int64)
            if self.rtol is not None:
                out["rtol"] = np.array(self.rtol, dtype=np.float64)
        if self._losses[0] is not None:
            out["train_loss"] = np.array(self._losses, dtype=np.float64)
        if self.lam is not None:
            out["lambda"] = np.array(self.lam, dtype=np.float64)
        return out

    def save(self, path, compress=False):
        """Writes the run file to ``path`` (which must end in ``.npz``) and returns the path.

        The archive is what ``numpy.savez`` (``compress=False``) or ``numpy.savez_compressed``
        (``compress=True``) would write; ``a`` and ``w`` are streamed snapshot by snapshot
        into it, so saving needs no stacked copy of the run.
        """
        path = os.fspath(path)
        if not path.lower().endswith(".npz"):
            raise ValueError(f"{path}: a run file must end in .npz (reluflow picks the reader by extension)")
        small = self._scalars_and_small()
        mode = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        tmp = path + ".partial"
        try:
            with zipfile.ZipFile(tmp, mode="w", compression=mode, allowZip64=True) as archive:
                for name in ("x", "y"):
                    _write_member(archive, name, small.pop(name))
                _write_stacked(archive, "a", self._a, (len(self._a), self.m))
                _write_stacked(archive, "w", self._w, (len(self._w), self.m, self.d))
                for name, arr in small.items():
                    _write_member(archive, name, arr)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        return path




def _write_member(archive, name, arr):
    arr = np.asarray(arr)  # (np.ascontiguousarray would turn the 0-d scalars into shape (1,))
    if not arr.flags.c_contiguous:
        arr = arr.copy(order="C")
    with archive.open(name + ".npy", mode="w", force_zip64=True) as member:
        np.lib.format.write_array(member, arr, allow_pickle=False)


def _write_stacked(archive, name, parts, shape):
    dtype = parts[0].dtype
    header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": tuple(shape)}
    with archive.open(name + ".npy", mode="w", force_zip64=True) as member:
        np.lib.format.write_array_header_1_0(member, header)
        for part in parts:
            member.write(np.ascontiguousarray(part, dtype=dtype).tobytes(order="C"))

