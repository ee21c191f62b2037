"""Unit tests of python/reluflow_record.py (run from the repository root:
``python3 -m unittest discover -s python/tests``)."""

import os
import subprocess
import sys
import tempfile
import unittest
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.join(HERE, "..")
sys.path.insert(0, PYTHON_DIR)
import reluflow_record as rr  # noqa: E402


class FakeTensor:
    """What the recorder sees of a torch tensor: .detach().cpu().numpy(), sharing memory with the
    parameter (as torch does on the CPU), so an in-place update after record() must not leak."""

    def __init__(self, array):
        self.array = array
        self.calls = []

    def detach(self):
        self.calls.append("detach")
        return self

    def cpu(self):
        self.calls.append("cpu")
        return self

    def numpy(self):
        self.calls.append("numpy")
        return self.array


def data(n=3, d=4, dtype=np.float64):
    return np.eye(n, d, dtype=dtype), np.array([1.0, -0.5, 0.7][:n], dtype=dtype)


def params(m=5, d=4, dtype=np.float64, scale=1.0):
    rng = np.random.default_rng(0)
    w = (scale * rng.standard_normal((m, d))).astype(dtype)
    a = (np.sign(rng.standard_normal(m)) * np.linalg.norm(w, axis=1)).astype(dtype)
    return a, w


class TempDir(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.dir = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def path(self, name="run.npz"):
        return os.path.join(self.dir, name)


class LogSpacedSteps(unittest.TestCase):
    def test_includes_ends_unique_sorted_and_count(self):
        for total, count in [(10_000, 150), (12_500, 200), (100, 20), (1, 2), (37, 37), (1000, 999)]:
            steps = rr.log_spaced_steps(total, count)
            self.assertEqual(steps.dtype, np.int64)
            self.assertEqual(int(steps[0]), 0)
            self.assertEqual(int(steps[-1]), total)
            self.assertTrue(np.all(np.diff(steps) >= 1), (total, count))
            self.assertEqual(len(steps), min(count, total + 1), (total, count))

    def test_log_spacing(self):
        steps = rr.log_spaced_steps(100_000, 100)
        ratios = steps[-50:][1:] / steps[-50:][:-1]
        self.assertTrue(np.allclose(ratios, ratios.mean(), rtol=0.02))
        self.assertGreater(int(np.sum(steps < 100)), 20)  # dense early

    def test_more_points_than_steps(self):
        self.assertEqual(rr.log_spaced_steps(3, 10).tolist(), [0, 1, 2, 3])
        self.assertEqual(rr.log_spaced_steps(0, 5).tolist(), [0])

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "total = -1"):
            rr.log_spaced_steps(-1, 10)
        with self.assertRaisesRegex(ValueError, "count = 1 must be >= 2"):
            rr.log_spaced_steps(10, 1)
        with self.assertRaisesRegex(ValueError, "must be an integer"):
            rr.log_spaced_steps(10.5, 3)


class LossFactor(unittest.TestCase):
    def test_conventions(self):
        self.assertEqual(rr.loss_factor_of("mse"), 2.0)
        self.assertEqual(rr.loss_factor_of("MSE"), 2.0)
        self.assertEqual(rr.loss_factor_of("paper"), 1.0)
        self.assertEqual(rr.loss_factor_of("sum", n=6), 12.0)
        self.assertEqual(rr.loss_factor_of(4), 4.0)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, "unknown loss 'l1'.*\"mse\".*\"paper\""):
            rr.loss_factor_of("l1")
        for bad in (0, -2.0, float("nan"), float("inf")):
            with self.assertRaisesRegex(ValueError, "positive finite"):
                rr.loss_factor_of(bad)
        with self.assertRaisesRegex(ValueError, "needs the number of points"):
            rr.loss_factor_of("sum")
        with self.assertRaises(ValueError):
            rr.loss_factor_of(True)


class RoundTrip(TempDir):
    def record_run(self, dtype, loss="mse", compress=False, **kwargs):
        x, y = data(dtype=dtype)
        a, w = params(dtype=dtype)
        rec = rr.Recorder(x, y, lr=0.01, loss=loss, lam=1e-3, steps=(100, 12), **kwargs)
        for step in range(101):
            if rec.should_record(step):
                rec.record(step, a * (1 + step), w * (1 + step), train_loss=1.0 / (1 + step))
        path = rec.save(self.path(), compress=compress)
        return rec, np.load(path)

    def test_arrays_shapes_and_dtypes(self):
        for dtype in (np.float32, np.float64):
            rec, z = self.record_run(dtype)
            t = len(rec)
            self.assertEqual(t, 12)
            self.assertEqual(sorted(z.files), sorted(["x", "y", "a", "w", "step", "lr", "loss_factor", "train_loss", "lambda"]))
            self.assertEqual(z["x"].shape, (3, 4))
            self.assertEqual(z["y"].shape, (3,))
            self.assertEqual(z["a"].shape, (t, 5))
            self.assertEqual(z["w"].shape, (t, 5, 4))
            self.assertEqual(z["a"].dtype, np.dtype(dtype))
            self.assertEqual(z["w"].dtype, np.dtype(dtype))
            self.assertEqual(z["x"].dtype, np.dtype(dtype))
            self.assertEqual(z["step"].dtype, np.int64)
            self.assertEqual(z["step"].tolist(), rr.log_spaced_steps(100, 12).tolist())
            for scalar in ("lr", "loss_factor", "lambda"):
                self.assertEqual(z[scalar].shape, (), scalar)
                self.assertEqual(z[scalar].dtype, np.float64, scalar)
            self.assertEqual(float(z["lr"]), 0.01)
            self.assertEqual(float(z["loss_factor"]), 2.0)
            self.assertEqual(float(z["lambda"]), 1e-3)
            self.assertEqual(z["train_loss"].dtype, np.float64)
            a, w = params(dtype=dtype)
            for i, step in enumerate(z["step"].tolist()):
                np.testing.assert_array_equal(z["a"][i], a * (1 + step))
                np.testing.assert_array_equal(z["w"][i], w * (1 + step))

    def test_paper_loss_factor(self):
        _, z = self.record_run(np.float64, loss="paper")
        self.assertEqual(float(z["loss_factor"]), 1.0)

    def test_same_as_numpy_savez(self):
        rec, z = self.record_run(np.float32)
        reference = self.path("reference.npz")
        np.savez(reference, **rec.arrays())
        with np.load(reference) as r:
            self.assertEqual(sorted(r.files), sorted(z.files))
            for name in r.files:
                self.assertEqual(r[name].dtype, z[name].dtype, name)
                np.testing.assert_array_equal(r[name], z[name], name)

    def test_compressed(self):
        _, plain = self.record_run(np.float64)
        plain = {k: plain[k] for k in plain.files}
        _, packed = self.record_run(np.float64, compress=True)
        with zipfile.ZipFile(self.path()) as archive:
            self.assertTrue(all(i.compress_type == zipfile.ZIP_DEFLATED for i in archive.infolist()))
        for name, value in plain.items():
            np.testing.assert_array_equal(packed[name], value)

    def test_without_optional_arrays(self):
        x, y = data()
        a, w = params()
        rec = rr.Recorder(x, y, lr=0.1, loss="mse")
        rec.record(0, a, w)
        z = np.load(rec.save(self.path()))
        self.assertEqual(sorted(z.files), sorted(["x", "y", "a", "w", "step", "lr", "loss_factor"]))

    def test_paper_time_is_step_lr_factor(self):
        _, z = self.record_run(np.float64)
        t = z["step"] * float(z["lr"]) * float(z["loss_factor"])
        self.assertAlmostEqual(float(t[-1]), 100 * 0.01 * 2.0)


class DuckTyping(TempDir):
    def test_torch_like_tensors_are_copied(self):
        x, y = data()
        a, w = params()
        a_param, w_param = a.copy(), w.copy()
        a_tensor, w_tensor = FakeTensor(a_param[None, :]), FakeTensor(w_param)  # a as torch's (1, m) weight
        rec = rr.Recorder(FakeTensor(x), FakeTensor(y), lr=0.1, loss="mse")
        rec.record(0, a_tensor, w_tensor, train_loss=FakeTensor(np.float32(0.25)))
        self.assertEqual(w_tensor.calls, ["detach", "cpu", "numpy"])
        w_param *= 2.0  # an optimiser's in-place update
        a_param *= 2.0
        rec.record(1, a_tensor, w_tensor, train_loss=FakeTensor(np.float32(0.5)))
        z = np.load(rec.save(self.path()))
        np.testing.assert_array_equal(z["w"][0], w)
        np.testing.assert_array_equal(z["w"][1], 2.0 * w)
        np.testing.assert_array_equal(z["a"][0], a)
        self.assertEqual(z["a"].shape, (2, 5))
        self.assertEqual(z["train_loss"].tolist(), [0.25, 0.5])

    def test_tensor_without_cpu(self):
        class Detachable:
            def __init__(self, array):
                self.array = array

            def detach(self):
                return self.array

        self.assertEqual(rr.to_numpy(Detachable(np.ones(3))).tolist(), [1.0, 1.0, 1.0])

    def test_lists_and_column_labels(self):
        rec = rr.Recorder([[1, 0], [0, 1]], [[1.0], [-1.0]], lr=0.1, loss="paper")
        self.assertEqual(rec.y.shape, (2,))
        self.assertEqual(rec.x.dtype, np.float64)
        rec.record(0, [[0.1], [-0.2]], [[0.1, 0.0], [0.0, 0.2]])
        self.assertEqual(rec.arrays()["a"].shape, (1, 2))

    def test_does_not_import_torch_or_jax(self):
        code = f"import sys; sys.path.insert(0, {PYTHON_DIR!r}); import reluflow_record; " \
               "bad = [m for m in ('torch', 'jax', 'tensorflow') if m in sys.modules]; print(bad); sys.exit(bool(bad))"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        with open(os.path.join(PYTHON_DIR, "reluflow_record.py")) as source:
            imports = [line for line in source if line.startswith(("import ", "from "))]
        self.assertFalse([line for line in imports if "torch" in line or "jax" in line], imports)


class Schedule(unittest.TestCase):
    def test_should_record(self):
        x, y = data()
        a, w = params()
        rec = rr.Recorder(x, y, lr=0.1, loss="mse", steps=[0, 5, 2])
        self.assertEqual(rec.schedule.tolist(), [0, 2, 5])
        self.assertEqual([s for s in range(10) if rec.should_record(s)], [0, 2, 5])
        rec.record(2, a, w)
        self.assertFalse(rec.should_record(0))  # before the last recorded step
        self.assertFalse(rec.should_record(2))
        self.assertTrue(rec.should_record(5))

    def test_every_step_without_schedule(self):
        x, y = data()
        rec = rr.Recorder(x, y, lr=0.1, loss="mse")
        self.assertIsNone(rec.schedule)
        self.assertTrue(all(rec.should_record(s) for s in range(5)))

    def test_log_spaced_schedule(self):
        x, y = data()
        rec = rr.Recorder(x, y, lr=0.1, loss="mse", steps=(1000, 50))
        self.assertEqual(rec.schedule.tolist(), rr.log_spaced_steps(1000, 50).tolist())


class TimeClock(TempDir):
    def test_time_file(self):
        x, y = data()
        a, w = params()
        rec = rr.Recorder(x, y, clock="time", rtol=1e-10, lam=1e-3)
        for i, t in enumerate([0.0, 0.5, 2.0]):
            rec.record(a=a, w=w, time=t, step=3 * i, train_loss=0.1)
        z = np.load(rec.save(self.path()))
        self.assertEqual(sorted(z.files), sorted(["x", "y", "a", "w", "time", "step", "rtol", "lambda", "train_loss"]))
        self.assertEqual(z["time"].tolist(), [0.0, 0.5, 2.0])
        self.assertEqual(z["time"].dtype, np.float64)
        self.assertEqual(float(z["rtol"]), 1e-10)

    def test_time_without_steps(self):
        x, y = data()
        a, w = params()
        rec = rr.Recorder(x, y, clock="time", loss="paper")
        rec.record(a=a, w=w, time=0.0)
        rec.record(a=a, w=w, time=1.0)
        z = np.load(rec.save(self.path()))
        self.assertNotIn("step", z.files)
        self.assertNotIn("lr", z.files)
        self.assertNotIn("loss_factor", z.files)

    def test_time_errors(self):
        x, y = data()
        a, w = params()
        with self.assertRaisesRegex(ValueError, "lr is for the step clock"):
            rr.Recorder(x, y, clock="time", lr=0.1)
        with self.assertRaisesRegex(ValueError, "pass loss=\"paper\""):
            rr.Recorder(x, y, clock="time", loss="mse")
        with self.assertRaisesRegex(ValueError, "unknown clock 'seconds'"):
            rr.Recorder(x, y, clock="seconds")
        rec = rr.Recorder(x, y, clock="time")
        with self.assertRaisesRegex(ValueError, "time is required"):
            rec.record(0, a, w)
        rec.record(a=a, w=w, time=1.0)
        with self.assertRaisesRegex(ValueError, "time = 1.0 must be greater than the previous snapshot's time 1.0"):
            rec.record(a=a, w=w, time=1.0)
        with self.assertRaisesRegex(ValueError, "step given here but not at snapshot 0"):
            rec.record(a=a, w=w, time=2.0, step=4)
        steps_rec = rr.Recorder(x, y, lr=0.1, loss="mse")
        with self.assertRaisesRegex(ValueError, "time= is for clock=\"time\""):
            steps_rec.record(0, a, w, time=0.0)
        with self.assertRaisesRegex(ValueError, "rtol is for clock=\"time\""):
            rr.Recorder(x, y, lr=0.1, loss="mse", rtol=1e-8)


class Errors(TempDir):
    def setUp(self):
        super().setUp()
        self.x, self.y = data()
        self.a, self.w = params()

    def recorder(self, **kwargs):
        kwargs.setdefault("lr", 0.1)
        kwargs.setdefault("loss", "mse")
        return rr.Recorder(self.x, self.y, **kwargs)

    def test_data_shapes(self):
        with self.assertRaisesRegex(ValueError, r"x must have shape \(n, d\), got shape \(3,\)"):
            rr.Recorder(self.y, self.y, lr=0.1, loss="mse")
        with self.assertRaisesRegex(ValueError, r"y must have shape \(n,\) = \(3,\) to match x of shape \(3, 4\), got shape \(2,\)"):
            rr.Recorder(self.x, self.y[:2], lr=0.1, loss="mse")
        with self.assertRaisesRegex(ValueError, "x holds a non-finite value"):
            rr.Recorder(np.full((2, 2), np.nan), [1.0, -1.0], lr=0.1, loss="mse")
        with self.assertRaisesRegex(ValueError, "n >= 1 points"):
            rr.Recorder(np.zeros((0, 2)), np.zeros(0), lr=0.1, loss="mse")

    def test_scalars(self):
        with self.assertRaisesRegex(ValueError, "lr is required"):
            rr.Recorder(self.x, self.y, loss="mse")
        with self.assertRaisesRegex(ValueError, "loss is required"):
            rr.Recorder(self.x, self.y, lr=0.1)
        with self.assertRaisesRegex(ValueError, "unknown loss 'mae'"):
            self.recorder(loss="mae")
        with self.assertRaisesRegex(ValueError, "lr = -0.1 must be a positive finite number"):
            self.recorder(lr=-0.1)
        with self.assertRaisesRegex(ValueError, "lam = 0.0 must be a positive finite number"):
            self.recorder(lam=0.0)
        with self.assertRaisesRegex(ValueError, "steps entries must be >= 0"):
            self.recorder(steps=[-1, 3])

    def test_parameter_shapes(self):
        rec = self.recorder()
        with self.assertRaisesRegex(ValueError, r"snapshot 0 \(step 0\): w must have shape \(m, d\) = \(m, 4\), got shape \(5, 3\)"):
            rec.record(0, self.a, self.w[:, :3])
        with self.assertRaisesRegex(ValueError, r"a must have shape \(m,\) = \(5,\) to match w of shape \(5, 4\), got shape \(4,\)"):
            rec.record(0, self.a[:4], self.w)
        with self.assertRaisesRegex(ValueError, "both a .* and w .* are required"):
            rec.record(0, self.a)
        rec.record(0, self.a, self.w)
        with self.assertRaisesRegex(ValueError, "width m = 4 differs from the first snapshot's m = 5"):
            rec.record(1, self.a[:4], self.w[:4])

    def test_dtypes(self):
        rec = self.recorder()
        with self.assertRaisesRegex(ValueError, "a has dtype float32 but w has dtype float64"):
            rec.record(0, self.a.astype(np.float32), self.w)
        with self.assertRaisesRegex(ValueError, "w has dtype float16; expected float32 or float64"):
            rec.record(0, self.a, self.w.astype(np.float16))
        with self.assertRaisesRegex(ValueError, "w has dtype complex128"):
            rec.record(0, self.a, self.w.astype(np.complex128))
        rec.record(0, self.a, self.w)
        with self.assertRaisesRegex(ValueError, "dtype float32 differs from the first snapshot's float64"):
            rec.record(1, self.a.astype(np.float32), self.w.astype(np.float32))

    def test_steps_and_values(self):
        rec = self.recorder()
        with self.assertRaisesRegex(ValueError, "step is required"):
            rec.record(None, self.a, self.w)
        with self.assertRaisesRegex(ValueError, "step = -1 must be >= 0"):
            rec.record(-1, self.a, self.w)
        with self.assertRaisesRegex(ValueError, "step must be an integer"):
            rec.record(1.5, self.a, self.w)
        bad = self.w.copy()
        bad[1, 2] = np.inf
        with self.assertRaisesRegex(ValueError, "w holds a non-finite value"):
            rec.record(0, self.a, bad)
        with self.assertRaisesRegex(ValueError, "train_loss = nan is not finite"):
            rec.record(0, self.a, self.w, train_loss=float("nan"))
        rec.record(np.int64(3), self.a, self.w, train_loss=0.5)
        with self.assertRaisesRegex(ValueError, "step = 3 must be greater than the previous snapshot's step 3"):
            rec.record(3, self.a, self.w, train_loss=0.5)
        with self.assertRaisesRegex(ValueError, "train_loss must be given at every snapshot or at none"):
            rec.record(4, self.a, self.w)

    def test_save(self):
        rec = self.recorder()
        with self.assertRaisesRegex(ValueError, "no snapshot recorded"):
            rec.save(self.path())
        rec.record(0, self.a, self.w)
        with self.assertRaisesRegex(ValueError, "must end in .npz"):
            rec.save(self.path("run.npy"))
        self.assertFalse(os.path.exists(self.path("run.npy")))
        self.assertEqual(os.listdir(self.dir), [])


if __name__ == "__main__":
    unittest.main()
