"""One BLAS thread: the solver's parallelism is its worker processes (``Parameters.threads``).

OpenBLAS otherwise starts a thread per core in every process, which spin on the shared cores:
measured on the medium N-1 table in one process (2026-12-06), 47 CPU s with them, 37 without,
for the same table.  Read when numpy loads: imported by the package before anything imports
numpy (where nothing did before), and inherited by the solver's fork server and its workers.
A value set in the environment is kept.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
