"""Which BLAS a benchmark's PyTorch ran on (imported by the scripts beside this file)."""


def mapped_blas():
    """Which libblas this process loaded. Debian's torch is built against the generic BLAS
    interface and uses whichever libblas.so.3 the loader finds (LD_LIBRARY_PATH can point it at an
    OpenBLAS), so torch's build configuration does not say which one runs."""
    try:
        with open("/proc/self/maps") as maps:
            names = {line.split()[-1] for line in maps if "blas" in line.split()[-1].rsplit("/", 1)[-1]}
        return ", ".join(sorted(names)) or "none mapped"
    except OSError:
        return "unknown"
