/* assert.h — checks of internal invariants (never of input).
 *
 * BASE_ASSERT(cond) states something the code itself guarantees: a slot index
 * in range, a node linked where its graph says, a count matching a list. Bad
 * input never reaches one: input gets a diagnostic. The check is compiled in
 * when ONNXFOLD_ASSERTS is defined (Debug and sanitizer builds, and any build
 * configured with -DONNXFOLD_ASSERTS=ON) and then aborts with the expression,
 * file and line; otherwise the condition is not evaluated.
 */
#ifndef ONNXFOLD_BASE_ASSERT_H
#define ONNXFOLD_BASE_ASSERT_H

_Noreturn void base_assert_fail(const char *expr, const char *file, int line);

#ifdef ONNXFOLD_ASSERTS
#define BASE_ASSERT(cond) ((cond) ? (void)0 : base_assert_fail(#cond, __FILE__, __LINE__))
#else
#define BASE_ASSERT(cond) ((void)sizeof(!(cond)))
#endif

#endif
