"""The toolchain's reference recipes in numpy/OpenCV, written the way users write them
(domain brief sections 3-5): the independent reference of tests/reference/check_prepare.py
and the Python baseline of tests/bench/."""
import cv2
import numpy as np


def short_side_resize(img, short):
    h, w = img.shape[:2]
    if h < w:
        return cv2.resize(img, (int(short * (w / h)), short), interpolation=cv2.INTER_LINEAR)
    return cv2.resize(img, (short, int(short * (h / w))), interpolation=cv2.INTER_LINEAR)


def center_crop(img, size):
    h, w = img.shape[:2]
    top, left = h // 2 - size // 2, w // 2 - size // 2
    return img[top:top + size, left:left + size]


def pad_resize(img, th, tw, pad):
    h, w = img.shape[:2]
    scale = min(tw / w, th / h)
    nh, nw = int(scale * h), int(scale * w)
    out = np.full((th, tw, 3), pad, dtype=np.uint8)
    top, left = (th - nh) // 2, (tw - nw) // 2
    out[top:top + nh, left:left + nw] = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR)
    return out


def nv12_calc(bgr):
    """The full-range formula as numpy evaluates it on the data's own dtype: uint8 pixels are
    promoted to float64; float32 data (what the toolchain's transformers hand over after any
    of their steps, each ending in astype(np.float32)) stays float32, the Python float
    coefficients cast to it (numpy 1.x value-based casting)."""
    b, g, r = bgr[..., 0], bgr[..., 1], bgr[..., 2]
    y = (0.299 * r + 0.587 * g + 0.114 * b).astype(np.uint8)
    u = (-0.169 * r - 0.331 * g + 0.5 * b + 128).astype(np.uint8)[::2, ::2]
    v = (0.5 * r - 0.419 * g - 0.081 * b + 128).astype(np.uint8)[::2, ::2]
    return y, np.stack([u, v], -1)


def nv12_opencv(bgr):
    h, w = bgr.shape[:2]
    flat = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420).reshape(-1)
    quarter = (h // 2) * (w // 2)
    u = flat[h * w:h * w + quarter].reshape(h // 2, w // 2)
    v = flat[h * w + quarter:].reshape(h // 2, w // 2)
    return flat[:h * w].reshape(h, w), np.stack([u, v], -1)


def float_input(bgr, rgb, mean=None, scale=None, std=None):
    x = (bgr[..., ::-1] if rgb else bgr).astype(np.float32)
    if mean is not None:
        x = x - np.array(mean)
    if scale is not None:
        x = x * np.array(scale)
    if std is not None:
        x = x / np.array(std)
    return x.astype(np.float32).transpose(2, 0, 1)[None]


def quantise(x, scale, zero_point, dtype):
    """clip(nearbyint(x / scale + zero_point)) on float32 data, to dtype's range."""
    q = np.rint(x / np.float32(scale) + np.float32(zero_point))
    info = np.iinfo(dtype)
    return np.clip(q, info.min, info.max).astype(dtype)


IMAGENET_MEAN = [123.675, 116.28, 103.53]


def cls_recipe(img):
    return center_crop(short_side_resize(img, 256), 224)


def cls_transformers(img):
    """cls_recipe as the sample transformers compute it: ShortSideResize resizes the uint8
    image and casts to float32, CenterCrop slices float32 data and casts again."""
    return center_crop(short_side_resize(img, 256).astype(np.float32), 224).astype(np.float32)


