/*
 * libsegsam_mklcpu.so: answers "yes" to the question the MKL inside libtorch_cpu.so asks before it
 * picks its kernels, "is this an Intel CPU?". Without it MKL runs a generic path on AMD CPUs; with it
 * MKL chooses by the CPU's feature flags (AVX2, AVX-512). SegSam loads this file with RTLD_GLOBAL
 * before libtorch, so libtorch_cpu.so's PLT call binds here (src/SegSam/MklFastPath.cs).
 * Built with -nostdlib: it needs no C library, only the compiler and linker.
 */
int mkl_serv_intel_cpu_true(void) { return 1; }
