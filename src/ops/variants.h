/* variants.h — the VARIANT column of ops/ops.def: one enum per operator
 * family whose entries share functions, so the shared kernel knows which
 * member it runs (c->op->variant). */
#ifndef ONNXFOLD_OPS_VARIANTS_H
#define ONNXFOLD_OPS_VARIANTS_H

/* ops/binary.c: element-wise operations with broadcasting — two inputs
 * (arithmetic, Pow, Mod, shifts, bitwise, comparisons, logic, PRelu), a
 * variadic list (Min, Max, Sum, Mean) and Where. */
enum {
    BIN_ADD,
    BIN_SUB,
    BIN_MUL,
    BIN_DIV,
    BIN_POW,
    BIN_MOD,
    BIN_BITSHIFT,
    BIN_BITAND,
    BIN_BITOR,
    BIN_BITXOR,
    BIN_EQUAL,
    BIN_LESS,
    BIN_LESS_EQUAL,
    BIN_GREATER,
    BIN_GREATER_EQUAL,
    BIN_AND,
    BIN_OR,
    BIN_XOR,
    BIN_PRELU,
    BIN_MIN,
    BIN_MAX,
    BIN_SUM,
    BIN_MEAN,
    BIN_WHERE
};

/* ops/unary.c: element-wise functions of one tensor (math, activations,
 * tests, Not, BitwiseNot, Clip). */
enum {
    UN_ABS,
    UN_NEG,
    UN_SIGN,
    UN_SQRT,
    UN_RECIPROCAL,
    UN_EXP,
    UN_LOG,
    UN_ERF,
    UN_SIN,
    UN_COS,
    UN_TAN,
    UN_ASIN,
    UN_ACOS,
    UN_ATAN,
    UN_SINH,
    UN_COSH,
    UN_TANH,
    UN_ASINH,
    UN_ACOSH,
    UN_ATANH,
    UN_FLOOR,
    UN_CEIL,
    UN_ROUND,
    UN_ISNAN,
    UN_ISINF,
    UN_NOT,
    UN_BITWISE_NOT,
    UN_RELU,
    UN_LEAKY_RELU,
    UN_ELU,
    UN_SELU,
    UN_CELU,
    UN_GELU,
    UN_MISH,
    UN_SIGMOID,
    UN_HARD_SIGMOID,
    UN_HARD_SWISH,
    UN_SOFTPLUS,
    UN_SOFTSIGN,
    UN_THRESHOLDED_RELU,
    UN_SHRINK,
    UN_SWISH,
    UN_CLIP,
    UN_COUNT
};

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

/* ops/transpose.c: DepthToSpace and SpaceToDepth share their functions. */
enum { SHP_DEPTH_TO_SPACE, SHP_SPACE_TO_DEPTH };

/* ops/scatter.c: the scatter operators share their parser and inference. */
enum { SHP_SCATTER_ELEMENTS, SHP_SCATTER_ND, SHP_TENSOR_SCATTER };

/* ops/resize.c: Resize and its predecessor Upsample. */
enum { SHP_RESIZE, SHP_UPSAMPLE };

/* ops/grid_sample.c: GridSample and AffineGrid share their parser. */
enum { SHP_GRID_SAMPLE, SHP_AFFINE_GRID };

/* ops/norm.c: LayerNormalization and RMSNormalization share one kernel. */
enum { NORM_LAYER, NORM_RMS };
/* ops/signal.c */
enum { SIG_HANN, SIG_HAMMING, SIG_BLACKMAN, SIG_MEL, SIG_DFT, SIG_STFT };

/* ops/optim.c */
enum { OPT_ADAGRAD, OPT_ADAM, OPT_MOMENTUM, OPT_GRADIENT };

/* ops/seqmodel.c */
enum { SEQ_LINEAR_ATTENTION };

/* ops/ml_basic.c */
enum {
    MLB_LABEL_ENCODER,
    MLB_CATEGORY_MAPPER,
    MLB_BINARIZER,
    MLB_IMPUTER,
    MLB_SCALER,
    MLB_NORMALIZER,
    MLB_ONE_HOT,
    MLB_ARRAY_FEATURE_EXTRACTOR,
    MLB_FEATURE_VECTORIZER
};

/* ops/ml_tree.c */
enum { TREE_REGRESSOR, TREE_CLASSIFIER, TREE_ENSEMBLE };

/* ops/ml_linear.c */
enum { LIN_REGRESSOR, LIN_CLASSIFIER, LIN_SVM_REGRESSOR, LIN_SVM_CLASSIFIER };

/* ops/ml_map.c */
enum { MAP_ZIP, MAP_DICT, MAP_CAST };
/* ops/sequence.c: sequences and optionals. */
enum {
    SEQ_EMPTY,
    SEQ_CONSTRUCT,
    SEQ_INSERT,
    SEQ_ERASE,
    SEQ_AT,
    SEQ_LENGTH,
    SEQ_SPLIT,
    SEQ_CONCAT,
    OPT_MAKE,
    OPT_HAS,
    OPT_GET
};

/* ops/control.c: operators that run graph attributes. */
enum { CF_IF, CF_LOOP, CF_SCAN, CF_SEQUENCE_MAP };

/* ops/rnn.c */
enum { RNN_SIMPLE, RNN_GRU, RNN_LSTM };

/* ops/random.c */
enum {
    RAND_NORMAL,
    RAND_UNIFORM,
    RAND_NORMAL_LIKE,
    RAND_UNIFORM_LIKE,
    RAND_BERNOULLI,
    RAND_MULTINOMIAL
};

#endif
