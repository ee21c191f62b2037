"""The numpy trainers write runs that show what they are meant to show (checked in Python;
``reluflow check`` judges the same files in the Rust tests)."""

import contextlib
import io
import os
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import trainers  # noqa: E402


class Trainers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()

    def run_kind(self, kind, dtype="float64", **kwargs):
        path = os.path.join(self._tmp.name, f"{kind}-{dtype}.npz")
        info = trainers.run(kind, path, dtype=dtype, **kwargs)
        return info, path

    def assert_checks(self, kind, path):
        checks = trainers.verify(kind, path)
        self.assertTrue(checks)
        failed = [f"{name}: {detail}" for name, ok, detail in checks if not ok]
        self.assertEqual(failed, [], kind)
        return checks

    def test_every_kind_in_float64(self):
        for kind in trainers.KINDS:
            with self.subTest(kind=kind):
                info, path = self.run_kind(kind)
                self.assert_checks(kind, path)
                self.assertTrue(60 <= info["snapshots"] <= 200)
                self.assertLess(info["seconds"], 5.0)

    def test_paper_mse_in_float32(self):
        info, path = self.run_kind("paper-mse", dtype="float32")
        self.assert_checks("paper-mse", path)
        with np.load(path) as z:
            self.assertEqual(z["a"].dtype, np.float32)
            self.assertEqual(z["w"].dtype, np.float32)
            self.assertEqual(z["x"].dtype, np.float32)
            self.assertEqual(float(z["loss_factor"]), 2.0)

    def test_paper_loss_is_the_same_trajectory_in_paper_time(self):
        _, mse = self.run_kind("paper-mse")
        _, paper = self.run_kind("paper-loss")
        a, b = trainers.load(mse), trainers.load(paper)
        np.testing.assert_array_equal(a["t"], b["t"])
        np.testing.assert_allclose(a["L"], b["L"], rtol=1e-9, atol=1e-25)
        self.assertEqual(float(a["loss_factor"]), 2.0)
        self.assertEqual(float(b["loss_factor"]), 1.0)
        np.testing.assert_allclose(a["train_loss"], 2.0 * b["train_loss"], rtol=1e-12)

    def test_wrong_factor_is_paper_mse_with_another_label(self):
        _, mse = self.run_kind("paper-mse")
        _, wrong = self.run_kind("wrong-factor")
        with np.load(mse) as a, np.load(wrong) as b:
            np.testing.assert_array_equal(a["w"], b["w"])
            np.testing.assert_array_equal(a["train_loss"], b["train_loss"])
            self.assertEqual(float(b["loss_factor"]), 1.0)

    def test_relu_prime_one_init_holds_l6_with_relu_prime_zero(self):
        # the specificity of the negative control: the same init, trained with relu'(0) = 0, keeps
        # its zero coordinates at exactly 0
        info, path = self.run_kind("relu-prime-one", relu_prime_at_zero=0.0)
        self.assertTrue(info["zeroed"])
        rise, _, over = trainers.l6_largest_rise(trainers.load(path))
        self.assertEqual(over, 0)
        self.assertLessEqual(rise, 0.0)
        with np.load(path) as z:
            x = z["x"]
            for j, k in info["zeroed"]:
                coordinate = int(np.flatnonzero(x[k])[0])
                self.assertTrue(np.all(z["w"][:, j, coordinate] == 0.0), (j, k))

    def test_cli(self):
        path = os.path.join(self._tmp.name, "cli.npz")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(trainers.main(["stall", path, "--seed", "0", "--verify"]), 0)
        self.assertTrue(os.path.exists(path))
        lines = out.getvalue().splitlines()
        self.assertTrue(lines[0].startswith("stall float64 seed=0:"), lines)
        self.assertIn("final L=1.667e-01", lines[0])
        self.assertTrue(all(line.lstrip().startswith("ok") for line in lines[1:]), lines)


if __name__ == "__main__":
    unittest.main()
