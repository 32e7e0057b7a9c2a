# Sourced by the project's scripts: the environment of the engine's native libraries. Each setting is
# left alone when the user has set it.

# The engine's OpenBLAS (0.3.19) does not recognise recent Xeons and falls back to its slowest
# (Prescott) kernels: name the core from the CPU's flags.
if [ -z "${OPENBLAS_CORETYPE:-}" ] && [ -r /proc/cpuinfo ]; then
  elm_cpu_flags=" $(grep -m1 '^flags' /proc/cpuinfo) "
  if [[ $elm_cpu_flags == *" avx512f "* && $elm_cpu_flags == *" avx512bw "* && $elm_cpu_flags == *" avx512vl "* && $elm_cpu_flags == *" avx512dq "* ]]; then
    export OPENBLAS_CORETYPE=SkylakeX
  elif [[ $elm_cpu_flags == *" avx2 "* && $elm_cpu_flags == *" fma "* ]]; then
    export OPENBLAS_CORETYPE=Haswell
  fi
fi

# ND4J's OpenMP threads spin (sched_yield) between operations by default; a training step runs about
# a thousand small operations, and on two cores the spinning thread took a third of the time from the
# one doing the work. Passive waiting: training 1.3x faster, scoring 1.7x (bench/engine).
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"

# ND4J allocates (and zero-fills) a fresh buffer for every operation's output. With glibc's defaults a
# buffer above the dynamic mmap threshold is a fresh mapping each time, paid again in page faults;
# below 32 MB from the heap, and two arenas, buffers are reused. Free memory above 128 MB goes back to
# the system: with 1 GB kept per arena, an MT run reached 4 GiB; with 128 MB, 3.7 GiB and no slower.
export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-33554432}"
export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-134217728}"
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
