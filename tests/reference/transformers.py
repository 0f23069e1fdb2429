"""The sample pipelines' transformers as they compute (Horizon's
horizon_model_convert_sample data transformers), written here from their documented
behaviour with the same libraries and dtypes: each geometric step returns float32, so later
resizes take OpenCV's float path, and numpy evaluates the colour formulas on float32 data in
float32 (value-based casting of Python float coefficients, numpy 1.x). The reference of
tests/reference/check_prepare.py for hbprep's precision rule."""
import cv2
import numpy as np


def f32(img):
    return img.astype(np.float32)


def short_side_resize(img, short):
    h, w = img.shape[:2]
    size = (int(short * (w / h)), short) if h < w else (short, int(short * (h / w)))
    return f32(cv2.resize(img, size))


def center_crop(img, size):
    h, w = img.shape[:2]
    top, left = h // 2 - size // 2, w // 2 - size // 2
    return f32(img[top:top + size, left:left + size, :])


def resize(img, h, w, cubic=False):
    if cubic:
        return f32(cv2.resize(img, (w, h), interpolation=cv2.INTER_CUBIC))
    return f32(cv2.resize(img, (w, h)))


def pad_resize(img, th, tw, pad):
    h, w = img.shape[:2]
    scale = min(tw * 1.0 / w, th * 1.0 / h)
    nh, nw = int(scale * h), int(scale * w)
    canvas = np.full(shape=[th, tw, 3], fill_value=pad).astype(np.float32)
    top, left = (th - nh) // 2, (tw - nw) // 2
    canvas[top:top + nh, left:left + nw, :] = cv2.resize(img, (nw, nh))
    return f32(canvas)


def bgr_to_nv12_calc(img):
    """rgb_calc of BGR data: the formulas on the data's own dtype, chroma from each 2x2
    block's top-left pixel, astype(np.uint8)."""
    b, g, r = img[:, :, 0], img[:, :, 1], img[:, :, 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    u = (-0.169 * r - 0.331 * g + 0.5 * b + 128)[::2, ::2]
    v = (0.5 * r - 0.419 * g - 0.081 * b + 128)[::2, ::2]
    return y.astype(np.uint8), np.stack([u, v], -1).astype(np.uint8)


def bgr_to_yuv444(img):
    """BGR2YUV444 on HWC data: full-range BT.601 on the data's dtype, float32 out."""
    b, g, r = img[:, :, 0], img[:, :, 1], img[:, :, 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    u = -0.169 * r - 0.331 * g + 0.5 * b + 128
    v = 0.5 * r - 0.419 * g - 0.081 * b + 128
    return np.array([y, u, v]).transpose((1, 2, 0)).astype(np.float32)


def nv12_to_yuv444(y, uv):
    """NV12ToYUV444: Y as it is, each U and V sample repeated over its 2x2 block (nearest
    neighbour), HWC uint8."""
    chroma = uv.repeat(2, axis=0).repeat(2, axis=1)
    return np.concatenate([y[:, :, None], chroma], axis=2)


def hz_preprocess_float_input(data):
    """What HB_ONNXRuntime hands an OE 1.x float ONNX model with the HzPreprocess node
    (original_float / optimized_float / calibrated) for uint8 or float32 data: data - 128 in
    float32."""
    return data.astype(np.float32) - 128.0


def hz_preprocess_int8_input(data):
    """What it hands the quantized model (int8 input) for uint8 data: (data - 128) as int8."""
    return (data.astype(np.uint8) - 128).astype(np.int8)
