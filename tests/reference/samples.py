#!/usr/bin/python3
"""Horizon's sample preprocessing pipelines, recomputed independently (hbprep's test reference).

What Horizon's `horizon_model_convert_sample` (OE 1.x; the D-Robotics RDK copies are the same
files) and horizon_tc_ui's `hb_eval_preprocess` compute for each sample model, from the image
file to (a) the calibration data `data_preprocess.py` writes and (b) the board input of
`infer_transformers()`. Sources of the facts: the OE 1.x sample tree (public mirror
Lin-lucky/intron_horizon_ai_toolchain, ddk/samples/ai_toolchain/horizon_model_convert_sample:
each sample's mapper/preprocess.py, 02_preprocess.sh and yaml, and 01_common/python/data's
transformer.py, dataset.py, dataloader.py) and horizon_tc_ui's data/ and eval_preprocess/ (J6
OE 3.0.31 copy). Written with the same libraries and dtypes: OpenCV, numpy, scikit-image's
`resize`, SciPy, Pillow. Our own code: one function per sample and stage.

Conventions
- Images are read by one of three read modes (`read_opencv`, `read_skimage`, `read_pil`).
- Calibration functions return the array `data_preprocess.py` writes with `tofile`: float32
  when the sample's output folder ends in `_f32`, uint8 (numpy's astype) otherwise; C order.
- Infer functions for NV12 models return `(y, uv)`: y is (H, W) uint8, uv is (H/2, W/2, 2)
  uint8 (U, V interleaved), the planes the board takes. `nv12_to_yuv444` is the samples' last
  step, what the OE 1.x ONNX models are fed. No batch dimension anywhere.
- numpy 1.x value-based casting: a Python float times a float32 array stays float32, so
  every formula below runs in float32 on float32 data and in float64 on uint8 data, exactly
  as in the samples; expressions keep the samples' operation order.
- float -> uint8 is numpy's `astype(np.uint8)`: truncation toward zero, and out of range the
  low byte of the int32 (x86), e.g. 300.2 -> 44, -1.5 -> 255.

Usage: /usr/bin/python3 tests/reference/samples.py IMAGE [IMAGE...]
prints every pipeline's output shape, dtype and CRC-32.
"""
import math
import os
import sys
import zlib

import cv2
import numpy as np
import skimage
import skimage.io
from PIL import Image
from scipy import ndimage
from skimage.transform import resize as skimage_resize

# --------------------------------------------------------------------------- read modes


def _three_channels(img):
    # Every Horizon loader repeats a 2-D (grey) image into three identical channels; a
    # 4-channel image (RGBA, or a palette PNG through skimage) is left with 4 channels.
    if img.ndim != 3:
        img = np.concatenate([img[..., None]] * 3, axis=-1)
    return img


def read_opencv(path):
    """Read mode `opencv`: cv2.imread(path) (IMREAD_COLOR: BGR uint8 HxWx3, EXIF orientation
    applied, alpha dropped, grey expanded by OpenCV), then astype(uint8)."""
    img = cv2.imread(path)
    if img is None:
        raise ValueError("cv2.imread cannot read %s" % path)
    return _three_channels(img.astype(np.uint8))


def read_skimage(path):
    """Read mode `skimage`: img_as_float(skimage.io.imread(path)) then astype(float32): RGB in
    [0, 1] (uint8 / 255 in float64, then rounded to float32; 16-bit / 65535). skimage 0.19
    reads through imageio (Pillow): no EXIF rotation; RGBA and palette images give 4 channels;
    grey gives 2-D, expanded to three channels."""
    img = skimage.img_as_float(skimage.io.imread(path)).astype(np.float32)
    return _three_channels(img)


def read_pil(path):
    """Read mode `PIL` (horizon_tc_ui's datasets, hb_eval_preprocess for resnet18/50):
    np.array(PIL.Image.open(path)).astype(uint8). No convert('RGB'): 'RGB' files give RGB
    uint8, 'L' gives 2-D (expanded to three channels), 'P' gives palette indices (expanded
    the same way), 'RGBA' gives 4 channels, 'I;16' wraps to its low byte. No EXIF rotation."""
    img = np.array(Image.open(path)).astype(np.uint8)
    return _three_channels(img)


# --------------------------------------------------------------------------- geometry


def _f32(img):
    return img.astype(np.float32)


def _short_side_resize(img, short, interpolation=None):
    # ShortSideResizeTransformer: off = long/short as a Python float; dsize (W, H) is
    # (int(short * W/H), short) when H < W, else (short, int(short * H/W)) (H == W takes the
    # second branch). cv2.resize default INTER_LINEAR (uint8: fixed point; float32: float
    # path). Output astype float32 (data_type "uint8" in the newer copy: astype uint8).
    h, w = img.shape[:2]
    size = (int(short * (w / h)), short) if h < w else (short, int(short * (h / w)))
    if interpolation is None:
        return cv2.resize(img, size)
    return cv2.resize(img, size, interpolation=interpolation)


def _center_crop(img, size):
    # CenterCropTransformer: top = H//2 - size//2, left = W//2 - size//2, a plain slice.
    h, w = img.shape[:2]
    top, left = h // 2 - size // 2, w // 2 - size // 2
    return img[top:top + size, left:left + size, :]


def _padded_center_crop(img, image_size, crop_pad):
    # PaddedCenterCropTransformer (EfficientNet): side = int(image_size / (image_size +
    # crop_pad) * min(H, W)) in float64; offsets ((H - side) + 1) // 2, ((W - side) + 1) // 2.
    h, w = img.shape[:2]
    side = int((float(image_size) / (image_size + crop_pad)) * np.minimum(h, w))
    top, left = ((h - side) + 1) // 2, ((w - side) + 1) // 2
    return img[top:top + side, left:left + side, :]


def _pad_resize(img, th, tw, pad_value=127., pad_position="boundary"):
    # PadResizeTransformer: scale = min(tw*1.0/W, th*1.0/H) (float64); new size
    # (int(scale*H), int(scale*W)); cv2.resize (INTER_LINEAR) in the data's dtype; pasted into
    # a [th, tw, 3] canvas np.full(pad_value) cast to float32; 'boundary' centres it at
    # ((th-nh)//2, (tw-nw)//2), 'bottom_right' puts it at the top-left corner (padding on the
    # bottom and right).
    h, w = img.shape[:2]
    scale = min(tw * 1.0 / w, th * 1.0 / h)
    nh, nw = int(scale * h), int(scale * w)
    resized = cv2.resize(img, (nw, nh))
    canvas = np.full(shape=[th, tw, 3], fill_value=pad_value).astype(np.float32)
    if pad_position == "boundary":
        top, left = (th - nh) // 2, (tw - nw) // 2
    elif pad_position == "bottom_right":
        top, left = 0, 0
    else:
        raise ValueError("pad_position %r" % pad_position)
    canvas[top:top + nh, left:left + nw, :] = resized
    return canvas


def _pad(img, size_divisor, target_size):
    # PadTransformer: scale = target_size / max(H, W); dsize (int(round(W*scale)),
    # int(round(H*scale))) with Python's round (ties to even); cv2.resize INTER_LINEAR; pasted
    # at the top-left of a zero uint8 canvas of ceil(h/d)*d x ceil(w/d)*d (values cast
    # astype(uint8)); the result astype float32.
    h, w = img.shape[:2]
    scale = target_size / max(h, w)
    resized = cv2.resize(img, (int(round(w * scale)), int(round(h * scale))),
                         interpolation=cv2.INTER_LINEAR)
    h, w, c = resized.shape
    hp = math.ceil(h / size_divisor) * size_divisor
    wp = math.ceil(w / size_divisor) * size_divisor
    canvas = np.zeros((hp, wp, c), dtype=np.uint8)
    canvas[:h, :w, :] = resized.astype(np.uint8)
    return canvas.astype(np.float32)


def _resize_skimage(img, th, tw, order):
    # ResizeTransformer mode 'skimage' (the default), 1 or 3 channels: min/max of the whole
    # image in its own dtype; (img - min) / (max - min) (uint8 data: uint8 subtraction, then
    # float64 division; float32 data: float32 throughout); skimage.transform.resize to
    # (th, tw) with `order` and its defaults (mode reflect, clip, Gaussian anti-aliasing when
    # any side shrinks, scipy.ndimage.zoom with grid_mode); then * (max - min) + min in that
    # dtype and astype float32. A constant image gives a float32 array filled with min. Any
    # other channel count (RGBA) goes to scipy.ndimage.zoom(img, (th/H, tw/W, 1), order=1)
    # (its defaults: mode constant, no grid_mode) with no normalisation, then astype float32.
    if img.shape[-1] not in (1, 3):
        factors = tuple(np.array((th, tw), dtype=float) / np.array(img.shape[:2]))
        return ndimage.zoom(img, factors + (1,), order=1).astype(np.float32)
    lo, hi = img.min(), img.max()
    if not hi > lo:
        out = np.empty((th, tw, img.shape[-1]), dtype=np.float32)
        out.fill(lo)
        return out
    unit = (img - lo) / (hi - lo)
    back = skimage_resize(unit, (th, tw), order=order) * (hi - lo) + lo
    return back.astype(np.float32)


def _resize_opencv(img, th, tw, interpolation=None):
    # ResizeTransformer mode 'opencv': cv2.resize to (th, tw) (default INTER_LINEAR, newer copy
    # also INTER_CUBIC). The OE 1.x copy passes target_size straight as dsize, i.e. as (W, H):
    # the same only for square sizes, which is all the samples use.
    if interpolation is None:
        return cv2.resize(img, (tw, th))
    return cv2.resize(img, (tw, th), interpolation=interpolation)


def _pil_resize(img, size):
    # PILResizeTransformer(size int, BILINEAR): Image.fromarray(img.astype('uint8'), 'RGB')
    # whatever the channel order; unchanged when the short side already equals size; else the
    # short side becomes size and the long int(size * long / short) (W == H: height rule).
    # Pillow's BILINEAR resize (support widened when reducing). Output uint8.
    pil = Image.fromarray(img.astype('uint8'), 'RGB')
    w, h = pil.size
    if (w <= h and w == size) or (h <= w and h == size):
        return np.array(pil)
    if w < h:
        return np.array(pil.resize((size, int(size * h / w)), Image.BILINEAR))
    return np.array(pil.resize((int(size * w / h), size), Image.BILINEAR))


def _pil_center_crop(img, size):
    # PILCenterCropTransformer: top = int(round((H - size) / 2.)), left likewise (Python round,
    # ties to even), PIL crop of the uint8 image, astype float32.
    pil = Image.fromarray(img.astype('uint8'), 'RGB')
    w, h = pil.size
    top, left = int(round((h - size) / 2.)), int(round((w - size) / 2.))
    return np.array(pil.crop((left, top, left + size, top + size))).astype(np.float32)


def _warp_affine(img, th, tw, scale):
    # WarpAffineTransformer (CenterNet): centre c = (int(W*scale)/2, int(H*scale)/2), side
    # s = max(H, W). Three float32 point pairs: c -> (tw/2, th/2); c + (0, -s/2) -> (tw/2,
    # th/2 - tw/2); each third point is the second plus the first-minus-second vector turned
    # by 90 degrees (b + (-(a-b).y, (a-b).x)). All values are multiples of 0.5, exact in
    # float32. cv2.getAffineTransform, then cv2.warpAffine to (tw, th), INTER_LINEAR,
    # BORDER_CONSTANT 0, in the data's dtype; astype float32.
    h, w = img.shape[:2]
    c = np.array([int(w * scale) / 2., int(h * scale) / 2.], dtype=np.float32)
    s = max(h, w) * 1.0

    def third(a, b):
        d = a - b
        return b + np.array([-d[1], d[0]], dtype=np.float32)

    src = np.zeros((3, 2), dtype=np.float32)
    dst = np.zeros((3, 2), dtype=np.float32)
    src[0] = c
    src[1] = c + np.array([0.0, -0.5 * s])
    dst[0] = [tw * 0.5, th * 0.5]
    dst[1] = np.array([tw * 0.5, th * 0.5], np.float32) + np.array([0, -0.5 * tw], np.float32)
    src[2] = third(src[0], src[1])
    dst[2] = third(dst[0], dst[1])
    m = cv2.getAffineTransform(src, dst)
    return cv2.warpAffine(img, m, (tw, th), flags=cv2.INTER_LINEAR).astype(np.float32)


def _hwc_to_chw(img):
    return np.transpose(img, (2, 0, 1))


def _swap_hwc(img):
    # BGR2RGBTransformer / RGB2BGRTransformer: channels reversed (2, 1, 0) by fancy indexing;
    # the transformer asserts exactly 3 channels (a 4-channel read stops here).
    if img.shape[2] != 3:
        raise ValueError("the channel swap asserts 3 channels, got %d" % img.shape[2])
    return img[:, :, (2, 1, 0)]


def _swap_chw(img):
    if img.shape[0] != 3:
        raise ValueError("the channel swap asserts 3 channels, got %d" % img.shape[0])
    return img[(2, 1, 0), :, :]


def _times_255(img):
    # ScaleTransformer(255): data * 255 (a Python int: float32 stays float32), astype float32.
    return (img * 255).astype(np.float32)


# --------------------------------------------------------------------------- colour


def _check_even(h, w):
    # The transformers only refuse an odd H*W; an odd H with an even W slips through and
    # gives a malformed NV12. The board needs both even, so the reference refuses either.
    if h % 2 or w % 2:
        raise ValueError("NV12 needs even height and width, got %dx%d" % (h, w))


def _nv12_calc(img, order):
    # BGR2NV12Transformer / RGB2NV12Transformer, cvt_mode 'rgb_calc' (the default), HWC:
    # channels taken as b,g,r (BGR2NV12) or r,g,b (RGB2NV12) whatever the data really is;
    # full-range BT.601 in the data's dtype:
    #   Y = 0.299 r + 0.587 g + 0.114 b
    #   U = -0.169 r - 0.331 g + 0.5 b + 128,  V = 0.5 r - 0.419 g - 0.081 b + 128
    # U and V from each 2x2 block's top-left pixel ([::2, ::2]), interleaved into a float64
    # array under Y (so Y is promoted to float64, exactly), the whole astype(uint8).
    h, w = img.shape[:2]
    _check_even(h, w)
    if order == "bgr":
        b, g, r = img[:, :, 0], img[:, :, 1], img[:, :, 2]
    else:
        r, g, b = img[:, :, 0], img[:, :, 1], img[:, :, 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    u = (-0.169 * r - 0.331 * g + 0.5 * b + 128)[::2, ::2]
    v = (0.5 * r - 0.419 * g - 0.081 * b + 128)[::2, ::2]
    packed = np.zeros((h + h // 2, w), dtype=np.float64)
    packed[:h] = y
    packed[h:, 0::2] = u
    packed[h:, 1::2] = v
    packed = packed.astype(np.uint8)
    return packed[:h].copy(), packed[h:].reshape(h // 2, w // 2, 2).copy()


def _i420_planes(img, code):
    # astype(uint8) (truncating float data), cv2.cvtColor(code) to I420: OpenCV's
    # video-range BT.601 (Y 16..235), chroma from each 2x2 block's top-left pixel.
    h, w = img.shape[:2]
    _check_even(h, w)
    flat = cv2.cvtColor(img.astype(np.uint8), code).reshape(-1)
    q = (h // 2) * (w // 2)
    y = flat[:h * w].reshape(h, w)
    u = flat[h * w:h * w + q].reshape(h // 2, w // 2)
    v = flat[h * w + q:h * w + 2 * q].reshape(h // 2, w // 2)
    return y, u, v


def _nv12_opencv(img, code):
    # cvt_mode 'opencv': BGR2NV12 uses COLOR_BGR2YUV_I420, RGB2NV12 COLOR_RGB2YUV_I420 (on
    # whatever the channels really hold); the U and V planes interleaved into NV12.
    y, u, v = _i420_planes(img, code)
    return y.copy(), np.stack([u, v], axis=-1)


def nv12_to_yuv444(y, uv, dtype=np.int8, layout="HWC"):
    """NV12ToYUV444Transformer, the samples' last infer step (what the OE 1.x ONNX models get):
    Y as it is; U and V each upsampled with PIL resize(resample=0, nearest), i.e. repeated
    over 2x2; a uint8 HxWx3 (Y, U, V). The OE 1.x copy then casts astype(int8) (a wrap: 200
    becomes -56, not minus 128); the newer horizon_tc_ui copy keeps uint8 (dtype=np.uint8).
    layout 'CHW' transposes."""
    h, w = y.shape
    out = np.empty((h, w, 3), dtype=np.uint8)
    out[:, :, 0] = y
    out[:, :, 1] = np.array(Image.fromarray(np.ascontiguousarray(uv[:, :, 0])).resize(
        (w, h), resample=0))
    out[:, :, 2] = np.array(Image.fromarray(np.ascontiguousarray(uv[:, :, 1])).resize(
        (w, h), resample=0))
    out = out.astype(dtype)
    return np.transpose(out, (2, 0, 1)) if layout == "CHW" else out


def _yuv_transformer(img, color_sequence):
    # YUVTransformer: asserts 0 <= values < 256, astype(uint8) (truncation), reverses the
    # channels when color_sequence is 'RGB' (so OpenCV gets BGR), cv2 BGR2YUV_I420 (video
    # range, top-left chroma), U and V repeated 2x2 with np.repeat, concatenated HxWx3 (Y, U,
    # V) and astype float32.
    if not (np.max(img) < 256 and np.min(img) >= 0):
        raise ValueError("YUVTransformer asserts values in [0, 256)")
    bgr = img.astype(np.uint8)
    if color_sequence == "RGB":
        bgr = bgr[:, :, ::-1]
    y, u, v = _i420_planes(bgr, cv2.COLOR_BGR2YUV_I420)
    u = u.repeat(2, axis=0).repeat(2, axis=1)
    v = v.repeat(2, axis=0).repeat(2, axis=1)
    return np.stack([y, u, v], axis=-1).astype(np.float32)


def _bgr_to_yuv444_chw(img):
    # BGR2YUV444Transformer('CHW') (_ColorConvertTransformer BGR -> YUV444): r, g, b = planes
    # 2, 1, 0; the full-range formulas above in the data's dtype (no subsampling, no
    # rounding); np.array([y, u, v]) (CHW); offsets 0; astype float32.
    b, g, r = img[0], img[1], img[2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    u = -0.169 * r - 0.331 * g + 0.5 * b + 128
    v = 0.5 * r - 0.419 * g - 0.081 * b + 128
    return np.array([y, u, v]).astype(np.float32)


def _saved(img, f32):
    # data_preprocess.py: image.astype(float32 if the folder ends in _f32 (or
    # --saved_data_type float32) else uint8).tofile(): C order.
    return np.ascontiguousarray(img.astype(np.float32 if f32 else np.uint8))


# --------------------------------------------------------------------------- classification


def mobilenet_calibration(path):
    """01_mobilenet (MobileNet v1, Caffe, 224x224, train bgr NCHW) calibration, read skimage:
    ShortSideResize 256 (cv2 bilinear on float32 [0, 1]), CenterCrop 224, HWC->CHW, RGB->BGR,
    x255; saved float32 (calibration_data_bgr_f32). 03_resnet18 is the same pipeline."""
    img = read_skimage(path)
    img = _center_crop(_f32(_short_side_resize(img, 256)), 224).astype(np.float32)
    return _saved(_times_255(_swap_chw(_hwc_to_chw(img))), True)


def mobilenet_infer(path):
    """01_mobilenet infer, read skimage: ShortSideResize 256, CenterCrop 224, RGB->BGR (HWC),
    x255, BGR2NV12 rgb_calc in float32 -> (y, uv). 03_resnet18 and hb_eval_preprocess's
    mobilenetv1/v2 compute the same NV12."""
    img = read_skimage(path)
    img = _center_crop(_f32(_short_side_resize(img, 256)), 224).astype(np.float32)
    return _nv12_calc(_times_255(_swap_hwc(img)), "bgr")


resnet18_calibration = mobilenet_calibration
resnet18_infer = mobilenet_infer


def googlenet_calibration(path):
    """02_googlenet (ONNX, 224x224, train rgb NCHW) calibration, read opencv: ShortSideResize
    256 (cv2 bilinear on uint8) -> float32, CenterCrop 224, HWC->CHW, BGR->RGB; saved uint8
    (calibration_data_rgb: no _f32 suffix)."""
    img = _center_crop(_f32(_short_side_resize(read_opencv(path), 256)), 224)
    return _saved(_swap_chw(_hwc_to_chw(_f32(img))), False)


def googlenet_infer(path):
    """02_googlenet infer, read opencv: ShortSideResize 256, CenterCrop 224 (float32),
    BGR2NV12 rgb_calc in float32 -> (y, uv)."""
    img = _center_crop(_f32(_short_side_resize(read_opencv(path), 256)), 224)
    return _nv12_calc(_f32(img), "bgr")


def mobilenetv2_calibration(path):
    """04_mobilenet_onnx (MobileNet v2, 224x224, train rgb NCHW) calibration, read opencv:
    PILResize 256 (Pillow bilinear on the BGR uint8 data, labelled RGB), PILCenterCrop 224
    (float32), HWC->CHW, BGR->RGB; saved uint8 (calibration_data_rgb)."""
    img = _pil_center_crop(_pil_resize(read_opencv(path), 256), 224)
    return _saved(_swap_chw(_hwc_to_chw(img)), False)


def mobilenetv2_infer(path):
    """04_mobilenet_onnx infer, read opencv: PILResize 256, PILCenterCrop 224 (float32),
    BGR2NV12 rgb_calc in float32 -> (y, uv)."""
    img = _pil_center_crop(_pil_resize(read_opencv(path), 256), 224)
    return _nv12_calc(img, "bgr")


def _efficientnet_geometry(path, size):
    img = read_skimage(path)
    img = _f32(_padded_center_crop(img, size, 32))
    return _times_255(_resize_skimage(img, size, size, 3))


def efficientnet_lite_calibration(path, size=224):
    """05..09_efficientnet_lite{0..4}_onnx (train rgb NHWC; size 224, 240, 260, 280, 300)
    calibration, read skimage: PaddedCenterCrop(size, crop_pad 32) (float32), skimage Resize
    to size x size order 3 (float32 arithmetic on [0, 1] data), x255; HWC RGB saved float32
    (calibration_data_rgb_f32)."""
    return _saved(_efficientnet_geometry(path, size), True)


def efficientnet_lite_infer(path, size=224):
    """efficientnet_lite{0..4} infer, read skimage: the same geometry and x255, then
    RGB2NV12 rgb_calc in float32 -> (y, uv). Cubic resampling can overshoot [0, 255] only
    where skimage's clip allows (it clips to the input's range)."""
    return _nv12_calc(_efficientnet_geometry(path, size), "rgb")


EFFICIENTNET_LITE_SIZES = {0: 224, 1: 240, 2: 260, 3: 280, 4: 300}


# --------------------------------------------------------------------------- detection


def _yolo_calibration(path, size):
    img = _pad_resize(read_opencv(path), size, size)
    return _saved(_swap_chw(_hwc_to_chw(img)), True)


def yolov2_calibration(path):
    """01_yolov2 (608x608, train rgb NCHW) calibration, read opencv: PadResize 608x608 (pad
    127, centred; cv2 bilinear on uint8 into a float32 canvas), HWC->CHW, BGR->RGB; saved
    float32."""
    return _yolo_calibration(path, 608)


def yolov2_infer(path):
    """01_yolov2 infer, read opencv: PadResize 608x608, BGR2NV12 rgb_calc in float32 (the
    127 padding becomes Y 127, U = V 128 in float32) -> (y, uv)."""
    return _nv12_calc(_pad_resize(read_opencv(path), 608, 608), "bgr")


def yolov3_calibration(path):
    """02_yolov3 (416x416, train rgb NCHW) calibration: as yolov2 with 416x416 (the sample's
    02_preprocess.sh is not in the mirror; its cal dir is calibration_data_rgb_f32 and every
    detection sample reads opencv)."""
    return _yolo_calibration(path, 416)


def yolov3_infer(path):
    """02_yolov3 infer, read opencv: PadResize 416x416, BGR2NV12 rgb_calc float32."""
    return _nv12_calc(_pad_resize(read_opencv(path), 416, 416), "bgr")


def yolov5_calibration(path):
    """03_yolov5 (672x672, train rgb NCHW) calibration, read opencv: PadResize 672x672 (127,
    centred), HWC->CHW, BGR->RGB; saved float32."""
    return _yolo_calibration(path, 672)


def yolov5_infer(path):
    """03_yolov5 infer, read opencv: PadResize 672x672, BGR->RGB, RGB2NV12 rgb_calc float32
    (the same NV12 as BGR2NV12 on the unswapped data) -> (y, uv)."""
    return _nv12_calc(_swap_hwc(_pad_resize(read_opencv(path), 672, 672)), "rgb")


def mobilenet_ssd_calibration(path):
    """04_mobilenet_ssd (300x300, train bgr NCHW) calibration, read opencv: ResizeTransformer
    opencv to 300x300 (cv2 bilinear on uint8) -> float32, and nothing else: the data stays HWC
    BGR although the model is NCHW; saved float32 (calibration_data_bgr_f32)."""
    return _saved(_f32(_resize_opencv(read_opencv(path), 300, 300)), True)


def mobilenet_ssd_infer(path):
    """04_mobilenet_ssd infer, read opencv: Resize opencv 300x300 (float32), BGR2NV12
    rgb_calc float32 -> (y, uv)."""
    return _nv12_calc(_f32(_resize_opencv(read_opencv(path), 300, 300)), "bgr")


def efficient_det_calibration(path):
    """05_efficient_det (512x512, train rgb NCHW) calibration, read opencv (assumed: no
    02_preprocess.sh in the mirror, its evaluation reads opencv): PadResize 512x512 with
    pad_value 0, pad_position bottom_right (image at the top-left), HWC->CHW, BGR->RGB; saved
    float32."""
    img = _pad_resize(read_opencv(path), 512, 512, 0., "bottom_right")
    return _saved(_swap_chw(_hwc_to_chw(img)), True)


def efficient_det_infer(path):
    """05_efficient_det infer, read opencv: PadResize 512x512 (0, bottom_right), BGR->RGB,
    RGB2NV12 rgb_calc float32 -> (y, uv)."""
    img = _pad_resize(read_opencv(path), 512, 512, 0., "bottom_right")
    return _nv12_calc(_swap_hwc(img), "rgb")


def centernet_calibration(path):
    """06_centernet (512x512, train rgb NCHW) calibration, read opencv: BGR->RGB (uint8),
    ResizeTransformer skimage 512x512 order 1 (uint8 min/max normalisation -> float64,
    stretched to the square, no aspect kept), HWC->CHW; saved float32."""
    img = _resize_skimage(_swap_hwc(read_opencv(path)), 512, 512, 1)
    return _saved(_hwc_to_chw(img), True)


def centernet_infer(path):
    """06_centernet infer, read opencv: BGR->RGB, WarpAffine to 512x512 scale 1.0 (aspect
    kept, centred, zero border; cv2 bilinear on uint8), RGB2NV12 rgb_calc float32 ->
    (y, uv). Not the geometry of its calibration data."""
    img = _warp_affine(_swap_hwc(read_opencv(path)), 512, 512, 1.0)
    return _nv12_calc(img, "rgb")


def fcos_calibration(path):
    """07_fcos (512x512, train yuv444 NCHW, mean 128 scale 1/128) calibration, read opencv:
    PadResize 512x512 (pad 127, bottom_right), HWC->CHW, BGR2YUV444 full range (float32, no
    subsampling); saved float32 (calibration_data_yuv_f32)."""
    img = _pad_resize(read_opencv(path), 512, 512, 127., "bottom_right")
    return _saved(_bgr_to_yuv444_chw(_hwc_to_chw(img)), True)


def fcos_infer(path):
    """07_fcos infer, read opencv: Pad(size_divisor 512, target 512) (long side to 512 with
    Python round, zero padding bottom/right), RGB2NV12 cvt_mode opencv on the BGR data: OpenCV
    converts it as if it were RGB (red and blue exchanged) in video range -> (y, uv). Neither
    the geometry, the padding value, the channel order nor the range of its calibration."""
    return _nv12_opencv(_pad(read_opencv(path), 512, 512), cv2.COLOR_RGB2YUV_I420)


# --------------------------------------------------------------------------- segmentation


def mobilenet_unet_calibration(path):
    """07_segmentation/01_mobilenet_unet (1024x2048, train yuv444 NHWC, mean 128 scale 1/128,
    no input_space_and_range: full range) calibration, read opencv: skimage Resize to
    1024x2048 order 1 (uint8 min/max normalisation -> float64 -> float32), BGR->RGB,
    YUVTransformer('RGB'): truncated to uint8, OpenCV BGR2YUV_I420 (video range), chroma
    repeated 2x2, HWC float32; saved float32 (calibration_data_yuv_f32)."""
    img = _swap_hwc(_resize_skimage(read_opencv(path), 1024, 2048, 1))
    return _saved(_yuv_transformer(img, "RGB"), True)


def mobilenet_unet_infer(path):
    """mobilenet_unet infer, read opencv: skimage Resize 1024x2048 order 1, BGR->RGB,
    RGB2NV12 cvt_mode opencv (truncated to uint8, COLOR_RGB2YUV_I420: video range) ->
    (y, uv). The same YUV as its calibration, both video range against a full-range yaml."""
    img = _swap_hwc(_resize_skimage(read_opencv(path), 1024, 2048, 1))
    return _nv12_opencv(img, cv2.COLOR_RGB2YUV_I420)


# --------------------------------------------------------------------------- miscellaneous


def _mobilenet_misc_geometry(path):
    # 09_mobilenet_bgr and 10_mobilenet_yuv444 keep 01_mobilenet's skimage-style transformers
    # (RGB->BGR and x255) but read opencv: the data is BGR 0..255, so the swap makes it RGB
    # and x255 makes it 0..65025.
    img = read_opencv(path)
    return _center_crop(_f32(_short_side_resize(img, 256)), 224).astype(np.float32)


def mobilenet_yuv444_calibration(path):
    """05_miscellaneous/10_mobilenet_yuv444 (rt yuv444 NHWC, train bgr NCHW) calibration: its
    02_preprocess.sh passes no --read_mode, so opencv: ShortSideResize 256, CenterCrop 224,
    HWC->CHW, RGB->BGR (really BGR->RGB), x255 (0..65025); saved float32."""
    img = _mobilenet_misc_geometry(path)
    return _saved(_times_255(_swap_chw(_hwc_to_chw(img))), True)


def mobilenet_yuv444_infer(path):
    """10_mobilenet_yuv444 infer (SingleImageDataLoader's default read, opencv):
    ShortSideResize 256, CenterCrop 224, HWC->CHW, swap, x255, BGR2NV12 (CHW, rgb_calc on
    0..65025 values: astype(uint8) keeps the low byte), NV12ToYUV444 (224, 224) HWC int8 ->
    the (224, 224, 3) int8 array the sample feeds."""
    img = _times_255(_swap_chw(_hwc_to_chw(_mobilenet_misc_geometry(path))))
    y, uv = _nv12_calc(np.transpose(img, (1, 2, 0)), "bgr")
    return nv12_to_yuv444(y, uv, np.int8, "HWC")


def mobilenet_bgr_infer(path):
    """05_miscellaneous/09_mobilenet_bgr (rt bgr NCHW, train bgr NCHW) infer (default read,
    opencv): ShortSideResize 256, CenterCrop 224, swap (HWC), x255 -> (224, 224, 3) float32
    (the sample then transposes to NCHW). No calibration script in the mirror."""
    return _times_255(_swap_hwc(_mobilenet_misc_geometry(path)))


def lenet_gray_infer(path):
    """05_miscellaneous/01_lenet_gray infer: cv2.imread(IMREAD_GRAYSCALE) reshaped to
    (1, 1, 28, 28) uint8; only 28x28 images (MNIST) fit."""
    img = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    if img is None or img.shape != (28, 28):
        raise ValueError("lenet_gray takes 28x28 images")
    return img.reshape(1, 1, 28, 28)


# --------------------------------------------------------------------------- hb_eval_preprocess


def resnet50_eval(path):
    """hb_eval_preprocess resnet50 / resnet18 (horizon_tc_ui eval_preprocess, OE 3.x copy),
    read PIL: PILResize 256, PILCenterCrop 224 (float32), RGB2NV12 rgb_calc float32 ->
    (y, uv) (the tool writes the packed NV12)."""
    img = _pil_center_crop(_pil_resize(read_pil(path), 256), 224)
    return _nv12_calc(img, "rgb")


def vargconvnet_eval(path):
    """hb_eval_preprocess vargconvnet, read opencv: skimage Resize 256x256 order 1 (uint8
    path), CenterCrop 224, RGB2NV12 rgb_calc on the BGR data (channels exchanged) ->
    (y, uv)."""
    img = _center_crop(_resize_skimage(read_opencv(path), 256, 256, 1), 224)
    return _nv12_calc(_f32(img), "rgb")


def efficientnasnet_m_eval(path):
    """hb_eval_preprocess efficientnasnet_m (300x300; _s is the same with 280), read opencv:
    BGR->RGB, ShortSideResize 256 INTER_CUBIC kept uint8, CenterCrop 224 uint8, Resize opencv
    300x300 INTER_CUBIC uint8 (cv2's uint8 cubic saturates; astype(uint8) is then a no-op),
    RGB2NV12 opencv (video range) -> (y, uv)."""
    img = _swap_hwc(read_opencv(path))
    img = _short_side_resize(img, 256, cv2.INTER_CUBIC).astype(np.uint8)
    img = _center_crop(img, 224).astype(np.uint8)
    img = _resize_opencv(img, 300, 300, cv2.INTER_CUBIC).astype(np.uint8)
    return _nv12_opencv(img, cv2.COLOR_RGB2YUV_I420)


def fcos_efficientnetb0_eval(path):
    """hb_eval_preprocess fcos_efficientnetb0, read opencv: PadResize 512x512 (pad 0,
    bottom_right), BGR2NV12 opencv (video range, channels right) -> (y, uv)."""
    img = _pad_resize(read_opencv(path), 512, 512, 0, "bottom_right")
    return _nv12_opencv(img, cv2.COLOR_BGR2YUV_I420)


def yolov3_vargdarknet_eval(path):
    """hb_eval_preprocess yolov3_vargdarknet, read opencv: skimage Resize 416x416 order 1
    (uint8 path, aspect not kept), BGR2NV12 opencv -> (y, uv)."""
    img = _resize_skimage(read_opencv(path), 416, 416, 1)
    return _nv12_opencv(img, cv2.COLOR_BGR2YUV_I420)


# --------------------------------------------------------------------------- runner


def pipelines():
    """(name, function) for every pipeline, in the order of notes/samples.md."""
    out = [
        ("mobilenet_calibration", mobilenet_calibration),
        ("mobilenet_infer", mobilenet_infer),
        ("googlenet_calibration", googlenet_calibration),
        ("googlenet_infer", googlenet_infer),
        ("mobilenetv2_calibration", mobilenetv2_calibration),
        ("mobilenetv2_infer", mobilenetv2_infer),
    ]
    for k, size in EFFICIENTNET_LITE_SIZES.items():
        out.append(("efficientnet_lite%d_calibration" % k,
                    lambda p, s=size: efficientnet_lite_calibration(p, s)))
        out.append(("efficientnet_lite%d_infer" % k,
                    lambda p, s=size: efficientnet_lite_infer(p, s)))
    out += [
        ("yolov2_calibration", yolov2_calibration), ("yolov2_infer", yolov2_infer),
        ("yolov3_calibration", yolov3_calibration), ("yolov3_infer", yolov3_infer),
        ("yolov5_calibration", yolov5_calibration), ("yolov5_infer", yolov5_infer),
        ("mobilenet_ssd_calibration", mobilenet_ssd_calibration),
        ("mobilenet_ssd_infer", mobilenet_ssd_infer),
        ("efficient_det_calibration", efficient_det_calibration),
        ("efficient_det_infer", efficient_det_infer),
        ("centernet_calibration", centernet_calibration), ("centernet_infer", centernet_infer),
        ("fcos_calibration", fcos_calibration), ("fcos_infer", fcos_infer),
        ("mobilenet_unet_calibration", mobilenet_unet_calibration),
        ("mobilenet_unet_infer", mobilenet_unet_infer),
        ("mobilenet_yuv444_calibration", mobilenet_yuv444_calibration),
        ("mobilenet_yuv444_infer", mobilenet_yuv444_infer),
        ("mobilenet_bgr_infer", mobilenet_bgr_infer),
        ("lenet_gray_infer", lenet_gray_infer),
        ("resnet50_eval", resnet50_eval),
        ("vargconvnet_eval", vargconvnet_eval),
        ("efficientnasnet_m_eval", efficientnasnet_m_eval),
        ("fcos_efficientnetb0_eval", fcos_efficientnetb0_eval),
        ("yolov3_vargdarknet_eval", yolov3_vargdarknet_eval),
    ]
    return out


def _describe(arr):
    arr = np.ascontiguousarray(arr)
    return "%s %s crc32=%08x" % ("x".join(map(str, arr.shape)), arr.dtype,
                                 zlib.crc32(arr.tobytes()) & 0xffffffff)


def main(argv):
    if len(argv) < 2:
        sys.stderr.write("usage: %s IMAGE [IMAGE...]\n" % argv[0])
        return 2
    status = 0
    for path in argv[1:]:
        print("== %s" % os.path.basename(path))
        for name, fn in pipelines():
            try:
                out = fn(path)
            except ValueError as e:  # a refusal the pipeline itself would make
                print("  %-32s skipped: %s" % (name, e))
                continue
            except Exception as e:  # noqa: BLE001 - report and go on with the others
                print("  %-32s FAILED: %s: %s" % (name, type(e).__name__, e))
                status = 1
                continue
            parts = out if isinstance(out, tuple) else (out,)
            print("  %-32s %s" % (name, "  ".join(_describe(p) for p in parts)))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
