/*
 * check.h - the unit tests' whole framework: a few assertion macros that
 * keep going after a failure, and a summary line ctest and CI can read.
 *
 *   CHECK(cond)            fails the test if cond is false
 *   CHECK_EQ_U(a, b)       unsigned integers, prints both values
 *   CHECK_EQ_S(a, b)       C strings (NULL-safe)
 *   CHECK_MEM(a, b, n)     n bytes
 *   RUN(test_fn)           runs one void test_fn(void)
 *   return check_summary();  at the end of main()
 */
#ifndef MW_CHECK_H
#define MW_CHECK_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int check_failures_;
static int check_tests_passed_;
static int check_tests_failed_;

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                   \
            check_failures_++;                                                \
        }                                                                     \
    } while (0)

#define CHECK_EQ_U(a, b)                                                       \
    do {                                                                       \
        uint64_t check_a_ = (uint64_t)(a), check_b_ = (uint64_t)(b);           \
        if (check_a_ != check_b_) {                                            \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%" PRIu64          \
                    " != %" PRIu64 ")\n", __FILE__, __LINE__, #a, #b,          \
                    check_a_, check_b_);                                       \
            check_failures_++;                                                 \
        }                                                                      \
    } while (0)

#define CHECK_EQ_S(a, b)                                                       \
    do {                                                                       \
        const char *check_a_ = (a), *check_b_ = (b);                           \
        if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {       \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (\"%s\" != \"%s\")\n", \
                    __FILE__, __LINE__, #a, #b, check_a_ ? check_a_ : "(null)", \
                    check_b_ ? check_b_ : "(null)");                           \
            check_failures_++;                                                 \
        }                                                                      \
    } while (0)

#define CHECK_MEM(a, b, n)                                                     \
    do {                                                                       \
        if (memcmp((a), (b), (n)) != 0) {                                      \
            fprintf(stderr, "%s:%d: CHECK failed: %s and %s differ\n",         \
                    __FILE__, __LINE__, #a, #b);                               \
            check_failures_++;                                                 \
        }                                                                      \
    } while (0)

#define RUN(fn)                                                                \
    do {                                                                       \
        int check_before_ = check_failures_;                                   \
        fn();                                                                  \
        if (check_failures_ == check_before_) {                                \
            check_tests_passed_++;                                             \
        } else {                                                               \
            check_tests_failed_++;                                             \
            fprintf(stderr, "FAIL %s\n", #fn);                                 \
        }                                                                      \
    } while (0)

static inline int check_summary(void)
{
    printf("%d passed, %d failed\n", check_tests_passed_, check_tests_failed_);
    return check_tests_failed_ == 0 && check_failures_ == 0 ? 0 : 1;
}

#endif /* MW_CHECK_H */
