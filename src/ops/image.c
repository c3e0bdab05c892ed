/* image.c — ImageDecoder (ai.onnx 20): refused.
 *
 * Decoding JPEG, PNG, BMP, TIFF, WebP, PNM and JPEG 2000 needs image codecs
 * that onnxfold does not carry; the kernel refuses every call with
 * BASE_ERR_UNSUPPORTED. Inference still types the output: uint8 of rank 3
 * (height, width, channels), its dims decided by the data. pixel_format
 * must be RGB, BGR or Grayscale.
 */
#include <string.h>

#include "ops/decl.h"

base_status image_decoder_parse(const op_parse_ctx *pc, void **attrs)
{
    const char *fmt;
    *attrs = NULL;
    base_status st = op_attr_string(pc, "pixel_format", "RGB", &fmt);
    if (st == BASE_OK && strcmp(fmt, "RGB") != 0 && strcmp(fmt, "BGR") != 0 &&
        strcmp(fmt, "Grayscale") != 0)
        st = base_diag_set(pc->d, BASE_ERR_INVALID,
                           "pixel_format '%s' is not RGB, BGR or Grayscale", fmt);
    return st;
}

base_status image_decoder_infer(op_infer_ctx *ic)
{
    const op_type *x = ic->in[0];
    if (x->dtype && x->dtype != IR_DTYPE_UINT8)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "encoded_stream must be uint8, not %s",
                             op_dtype_name(x->dtype));
    if (x->rank >= 0 && x->rank != 1)
        return base_diag_set(ic->d, BASE_ERR_INVALID, "encoded_stream must be 1-D");
    op_type_set(&ic->out[0], IR_DTYPE_UINT8, 3);
    return BASE_OK;
}

base_status image_decoder_kernel(const op_ctx *c, op_tensor *const *in, uint32_t n_in,
                                 op_tensor **out, uint32_t n_out)
{
    (void)in;
    (void)n_in;
    (void)out;
    (void)n_out;
    return base_diag_set(c->d, BASE_ERR_UNSUPPORTED, "decoding images is not supported");
}
