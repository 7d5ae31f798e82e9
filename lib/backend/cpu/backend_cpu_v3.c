/*
 * backend_cpu_v3.c — the CPU backend's loops compiled a second time for
 * x86-64-v3 (AVX2, FMA): the Makefile adds -march=x86-64-v3 to this file
 * alone where the target is x86-64 and the compiler takes the flag, and
 * backend_cpu_open (backend_cpu.c) uses this table only on a processor
 * with AVX2 and FMA, so the binaries still run on any x86-64.  Element-wise
 * loops run twice as wide with the same bits (ISO C: no FMA contraction);
 * why vectorised reductions may differ in their last bits, and why that is
 * allowed, is in backend_cpu.c's header (CPU_VARIANTS).
 *
 * Built without the flag (another architecture or compiler), the file
 * only says that there is no such table.
 */
#include "backend/backend_int.h"

#if defined(__AVX2__) && defined(__FMA__)
#define CPU_V3_BUILD 1
#include "backend/cpu/backend_cpu.c"
#else
const backend *backend_cpu_v3_ops(void) { return NULL; }
#endif
