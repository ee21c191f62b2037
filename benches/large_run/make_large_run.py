"""Writes a large run file for the bounded-memory measurement of `reluflow check`.

T = 1000 snapshots of m = 10^4 neurons in d = 64 (n = 64 orthonormal inputs), float64: about
5.2 GB. The archive is written member by member, one snapshot at a time, so this script needs
only a few snapshots of memory too.

    python3 benches/large_run/make_large_run.py /tmp/big.npz stored     # as numpy.savez
    python3 benches/large_run/make_large_run.py /tmp/bigc.npz deflate   # as numpy.savez_compressed
    /usr/bin/time -v target/release/reluflow check /tmp/big.npz         # "Maximum resident set size"
"""
import sys
import zipfile

import numpy as np
from numpy.lib import format as npy_format

path, method = sys.argv[1], sys.argv[2]
T, m, d, n = 1000, 10_000, 64, 64
deflate = method == "deflate"
rng = np.random.default_rng(0)
a0 = rng.standard_normal(m) * 1e-3
w0 = rng.standard_normal((m, d)) * 1e-3
compression = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
with zipfile.ZipFile(path, "w", compression, allowZip64=True, compresslevel=1 if deflate else None) as archive:

    def small(name, array):
        with archive.open(name + ".npy", "w") as member:
            npy_format.write_array(member, np.asanyarray(array))

    def large(name, shape, snapshot):
        with archive.open(name + ".npy", "w", force_zip64=True) as member:
            npy_format.write_array_header_1_0(member, {"descr": "<f8", "fortran_order": False, "shape": shape})
            for t in range(T):
                member.write(np.ascontiguousarray(snapshot(t), dtype="<f8").tobytes())

    small("x", np.eye(n, d))
    small("y", np.where(np.arange(n) % 2 == 0, 1.0, -0.5))
    small("step", np.arange(T, dtype=np.int64) * 10)
    small("lr", np.float64(0.01))
    small("loss_factor", np.float64(2.0))
    large("a", (T, m), lambda t: a0 * (1 + 1e-3 * t))
    large("w", (T, m, d), lambda t: w0 * (1 + 1e-3 * t))
