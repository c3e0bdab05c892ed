/* conv_common.h — what the convolution operators share (ops/conv.c,
 * ops/convtranspose.c): their attributes, the geometry derived from the
 * attributes and the input shapes (kernel, strides, dilations, pads resolved
 * from auto_pad or output_shape, output sizes), shape inference, the implicit
 * im2col packing that feeds ops/gemm.h, and col2im.
 */
#ifndef ONNXFOLD_OPS_CONV_COMMON_H
#define ONNXFOLD_OPS_CONV_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "ops/op.h"

enum { CONV_NOTSET, CONV_SAME_UPPER, CONV_SAME_LOWER, CONV_VALID };

/* Parsed attributes; a list is NULL when absent. */
typedef struct conv_attrs {
    int auto_pad;
    int64_t group, offset_group;
    const int64_t *kernel_shape, *strides, *dilations, *pads, *output_padding, *output_shape;
    size_t n_kernel_shape, n_strides, n_dilations, n_pads, n_output_padding, n_output_shape;
} conv_attrs;

/* PARSE for Conv, ConvInteger, QLinearConv, ConvTranspose, DeformConv, Col2Im. */
base_status conv_parse(const op_parse_ctx *pc, void **attrs);

/* Geometry of one convolution. Dims are -1 where unknown (inference only). */
typedef struct conv_geom {
    uint32_t nsp;             /* spatial dims */
    int64_t n, c, m, group;   /* batch, input channels, output channels, groups */
    int64_t cg, mg;           /* channels per group: input, output */
    int64_t in[OP_MAX_RANK];  /* input spatial dims */
    int64_t k[OP_MAX_RANK];   /* kernel */
    int64_t out[OP_MAX_RANK]; /* output spatial dims */
    int64_t s[OP_MAX_RANK], d[OP_MAX_RANK];
    int64_t pb[OP_MAX_RANK];           /* pads at the beginning (may be < 0 for ConvTranspose) */
    int64_t in_size, k_size, out_size; /* products (-1 unknown) */
} conv_geom;

/* Conv (transpose false; W is [M, C/group, k...]) or ConvTranspose (W is
 * [C, M/group, k...]) geometry from the shapes of X and W. With `partial`,
 * unknown dims (-1) are allowed and propagate; otherwise every dim must be
 * known. Bad attributes or shapes are BASE_ERR_INVALID. */
base_status conv_geom_make(base_diag *d, const conv_attrs *a, bool transpose, bool partial,
                           uint32_t xr, const int64_t *xd, uint32_t wr, const int64_t *wd,
                           conv_geom *g) BASE_MUST_CHECK;

/* Output type of a convolution: dtype, [N, M, out...]. X is in[xi], W in[wi]. */
base_status conv_infer_shape(op_infer_ctx *ic, bool transpose, int32_t dtype, uint32_t xi,
                             uint32_t wi) BASE_MUST_CHECK;

/* ---- im2col packing for op_gemm_*_pack --------------------------------------------------- */

/* The source of B(p, j) = X[c, o(j) * s - pb + k(p) * d] for one (image,
 * group), p = c * k_size + kernel index, j = output position; zero outside
 * the input. Integer sources are converted to double minus `zero`. */
typedef struct conv_src {
    const conv_geom *g;
    const void *x; /* first channel of the group in this image */
    int32_t dtype; /* float, double, int8 or uint8 */
    double zero;   /* integer sources: the zero point */
    /* DeformConv (ops/conv.c): this image's offsets [og * k * nsp, out] and
     * mask [og * k, out] (NULL: ones), the group's first channel and the
     * channels per offset group */
    const void *offset, *mask;
    int64_t c0, og_channels;
} conv_src;

/* Packs into float (float sources) or double (every other source). */
void conv_pack_im2col(const void *ctx, int64_t k0, int64_t kc, int64_t n0, int64_t nc, int64_t nr,
                      void *dst);

/* y[mg, out] += col[mg * k_size, in] (ConvTranspose, Col2Im), for output
 * channels [m0, m1): each output element receives its contributions in order
 * of the kernel index. */
void conv_col2im_f32(const conv_geom *g, const float *col, float *y, int64_t m0, int64_t m1);
void conv_col2im_f64(const conv_geom *g, const double *col, double *y, int64_t m0, int64_t m1);

/* True when the convolution is a plain product: every kernel dim 1, stride
 * 1, no padding (B is X itself). */
bool conv_is_pointwise(const conv_geom *g);

#endif
