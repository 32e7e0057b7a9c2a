# Sourced by the project's scripts: name the OpenBLAS core from the CPU's flags unless the user has.
# The engine's OpenBLAS (0.3.19) does not recognise recent Xeons and falls back to its slowest (Prescott) kernels.
if [ -z "${OPENBLAS_CORETYPE:-}" ] && [ -r /proc/cpuinfo ]; then
  elm_cpu_flags=" $(grep -m1 '^flags' /proc/cpuinfo) "
  if [[ $elm_cpu_flags == *" avx512f "* && $elm_cpu_flags == *" avx512bw "* && $elm_cpu_flags == *" avx512vl "* && $elm_cpu_flags == *" avx512dq "* ]]; then
    export OPENBLAS_CORETYPE=SkylakeX
  elif [[ $elm_cpu_flags == *" avx2 "* && $elm_cpu_flags == *" fma "* ]]; then
    export OPENBLAS_CORETYPE=Haswell
  fi
fi
