// Closes exact_fp_begin.hpp (no #pragma once: included once per header that opened it).
#if !defined(__clang__) && defined(__GNUC__)
#pragma GCC pop_options
#endif
#undef SYFALA_EXACT_FP
