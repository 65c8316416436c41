// Arithmetic that must give the same results on every compiler and target (g++ for the addon,
// clang for wasm32: the vectors check both) bit for bit, from here to exact_fp_end.hpp (no
// #pragma once: a header includes the pair around its code). Each function body in between
// starts with SYFALA_EXACT_FP.
//
// Every operation rounds to double, in the order written, and no multiply and add are fused (as
// JS and wasm do). -ffast-math would reorder sums; x87 extended precision would round differently;
// and clang contracts a * b + c within a statement by default, GCC across statements, wherever the
// CPU has FMA (arm64, x86-64-v3), so the last bit would differ between builds. Clang takes the pragma at the
// start of each function body; GCC per function, for the functions defined between push_options
// and pop_options.
#include <cfloat>

#ifdef __FAST_MATH__
#error "-ffast-math reorders the sums the vectors depend on"
#endif
static_assert(FLT_EVAL_METHOD == 0, "exact arithmetic needs FLT_EVAL_METHOD == 0");

#if defined(__clang__)
#define SYFALA_EXACT_FP _Pragma("clang fp contract(off)")
#else
#define SYFALA_EXACT_FP
#if defined(__GNUC__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif
#endif
