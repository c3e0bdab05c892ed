/* variants.h — the VARIANT column of ops/ops.def: one enum per operator
 * family whose entries share functions, so the shared kernel knows which
 * member it runs (c->op->variant). */
#ifndef ONNXFOLD_OPS_VARIANTS_H
#define ONNXFOLD_OPS_VARIANTS_H

/* ops/binary.c: element-wise arithmetic with broadcasting. */
enum { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV };

/* ops/reduce.c: reductions, ArgMax/ArgMin and the global pools. */
enum {
    RED_SUM,
    RED_MEAN,
    RED_MAX,
    RED_MIN,
    RED_PROD,
    RED_L1,
    RED_L2,
    RED_LOGSUM,
    RED_LOGSUMEXP,
    RED_SUMSQ,
    RED_ARGMAX,
    RED_ARGMIN,
    RED_GLOBAL_AVG,
    RED_GLOBAL_MAX,
    RED_GLOBAL_LP
};

/* ops/softmax.c */
enum { SM_SOFTMAX, SM_LOGSOFTMAX, SM_HARDMAX };

/* ops/cumulative.c */
enum { CUM_SUM, CUM_PROD };

/* ops/pool.c */
enum { POOL_MAX, POOL_AVG, POOL_LP, POOL_UNPOOL, POOL_ROI };

/* ops/loss.c */
enum { LOSS_NLL, LOSS_SCE };

#endif
