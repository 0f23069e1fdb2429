"""Python client of hbprep-server (hbprep.v1).

Works with Debian's python3-grpcio, python3-protobuf and python3-numpy. The generated
stubs (package ``hbprep.v1``) are built by CMake into ``build/python`` beside this package;
put that folder on ``PYTHONPATH``.

    from hbprep_client import Client
    client = Client("unix:/run/hbprep.sock")
    tensors = client.prepare("cls_pyramid", ["cat.jpg"])     # {"images_y": ndarray, ...}
    outputs = hb_runtime.run(None, tensors)                   # names and dtypes match
"""

import os

import grpc
import numpy as np

from hbprep.v1 import hbprep_pb2 as pb
from hbprep.v1 import hbprep_pb2_grpc as rpc

__all__ = ["Client", "HbprepError"]

_TARGETS = {"board": pb.TARGET_BOARD, "calibration": pb.TARGET_CALIBRATION,
            "onnx": pb.TARGET_ONNX, "oe1_float_onnx": pb.TARGET_OE1_FLOAT_ONNX,
            "oe1_quantized_onnx": pb.TARGET_OE1_QUANTIZED_ONNX}
_RECIPES = {None: pb.NV12_RECIPE_UNSPECIFIED, "auto": pb.NV12_RECIPE_AUTO,
            "calc": pb.NV12_RECIPE_CALC, "calc_f32": pb.NV12_RECIPE_CALC_F32,
            "opencv": pb.NV12_RECIPE_OPENCV}
_DECODES = {None: pb.DECODE_MODE_UNSPECIFIED, "exact": pb.DECODE_MODE_EXACT,
            "fast": pb.DECODE_MODE_FAST}
_DTYPES = {pb.DATA_TYPE_UINT8: np.uint8, pb.DATA_TYPE_INT8: np.int8,
           pb.DATA_TYPE_INT16: np.int16, pb.DATA_TYPE_UINT16: np.uint16,
           pb.DATA_TYPE_INT32: np.int32, pb.DATA_TYPE_FLOAT32: np.float32,
           pb.DATA_TYPE_BOOL: np.bool_, pb.DATA_TYPE_FLOAT16: np.float16,
           pb.DATA_TYPE_INT64: np.int64}
# Every call of both services is a pure function of its request: retrying UNAVAILABLE is
# safe.
_SERVICE_CONFIG = """{
  "loadBalancingConfig": [{"round_robin": {}}],
  "methodConfig": [{"name": [{"service": "%s"}],
    "retryPolicy": {"maxAttempts": 3, "initialBackoff": "0.1s", "maxBackoff": "1s",
                    "backoffMultiplier": 2, "retryableStatusCodes": ["UNAVAILABLE"]}}]
}"""


class HbprepError(Exception):
    """A failed call: `code` is the grpc.StatusCode, the message names the problem."""

    def __init__(self, code, message):
        super().__init__("%s: %s" % (code.name, message))
        self.code = code
        self.message = message


class _Connection:
    """A channel to one of hbprep-server's services (`service`, whose calls it retries on
    UNAVAILABLE) and the stub over it; every call carries the token and the deadline."""

    def __init__(self, target, service, stub_class, token, root_certificates, private_key,
                 certificate_chain, timeout, max_message_bytes):
        options = [("grpc.max_receive_message_length", max_message_bytes),
                   ("grpc.max_send_message_length", max_message_bytes),
                   ("grpc.service_config", _SERVICE_CONFIG % service)]
        if "," in target:
            target = "ipv4:" + target
        if root_certificates or certificate_chain:
            credentials = grpc.ssl_channel_credentials(root_certificates, private_key,
                                                       certificate_chain)
            self._channel = grpc.secure_channel(target, credentials, options)
        else:
            self._channel = grpc.insecure_channel(target, options)
        self._stub = stub_class(self._channel)
        self._metadata = [("authorization", "Bearer " + token)] if token else []
        self._timeout = timeout

    def close(self):
        self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _call(self, method, request):
        try:
            return method(request, timeout=self._timeout, metadata=self._metadata)
        except grpc.RpcError as error:
            raise HbprepError(error.code(), error.details()) from None


class Client(_Connection):
    """A connection to hbprep-server.

    target: "host:port", "unix:/path", "dns:///name:port" or "a:1,b:2" (round robin).
    token: bearer token, for servers started with --auth-token-file.
    root_certificates / private_key / certificate_chain: PEM bytes for TLS / mutual TLS.
    timeout: seconds, the deadline of every call.
    """

    def __init__(self, target, token=None, root_certificates=None, private_key=None,
                 certificate_chain=None, timeout=60.0, max_message_bytes=64 << 20):
        super().__init__(target, "hbprep.v1.InputAdapter", rpc.InputAdapterStub, token,
                         root_certificates, private_key, certificate_chain, timeout,
                         max_message_bytes)

    def list_models(self):
        """[{"name", "march", "descriptor_hash", "inputs"}], and the repository's errors."""
        response = self._call(self._stub.ListModels, pb.ListModelsRequest())
        return ([{"name": m.name, "march": m.march, "descriptor_hash": m.descriptor_hash,
                  "inputs": list(m.inputs)} for m in response.models], list(response.errors))

    def describe(self, model=None, target="board", config=None):
        """The plan: the DescribeModelResponse message."""
        request = pb.DescribeModelRequest(target=_TARGETS[target])
        self._set_model(request, model, config)
        return self._call(self._stub.DescribeModel, request)

    def prepare(self, model=None, images=(), target="board", config=None, rois=None,
                nv12_recipe=None, raw=None, features=None, strided=False, decode=None):
        """Prepares one request and returns {tensor name: numpy array}.

        model: a repository model's name, or config: a descriptor yaml (path or text).
        images: file paths or bytes (encoded images), one per image slot of the request.
        rois: a list (one per image, None for the whole image) of (left, top, right, bottom).
        raw: dict(format="nv12", width=..., height=..., stride=0, range="video") when the
             images are raw pixels.
        features: positions in `images` that hold featuremap files (.npy or float32 .bin).
        strided: return the board's padded layout as flat uint8 arrays instead.
        decode: "exact" or "fast" JPEG decoding (default: the model's, exact unless its
                hbprep section says fast).
        Arrays are dense with the tensor's dtype and shape, ready for HBRuntime.
        """
        request = pb.PrepareRequest(target=_TARGETS[target])
        request.options.nv12_recipe = _RECIPES[nv12_recipe]
        request.options.decode = _DECODES[decode]
        request.options.packing = pb.PACKING_STRIDED if strided else pb.PACKING_DENSE
        self._set_model(request, model, config)
        features = set(features or ())
        for index, image in enumerate(images):
            proto = request.images.add()
            data = _read(image)
            proto.id = image if isinstance(image, str) else "image %d" % index
            if index in features:
                proto.feature = data
            elif raw:
                proto.raw.format = pb.PixelFormat.Value("PIXEL_FORMAT_" + raw["format"].upper())
                proto.raw.width, proto.raw.height = raw["width"], raw["height"]
                proto.raw.stride = raw.get("stride", 0)
                proto.raw.range = (pb.COLOR_RANGE_FULL if raw.get("range") == "full"
                                   else pb.COLOR_RANGE_VIDEO)
                proto.raw.data = data
            else:
                proto.encoded = data
            if rois and index < len(rois) and rois[index] is not None:
                left, top, right, bottom = rois[index]
                proto.roi.left, proto.roi.top, proto.roi.right, proto.roi.bottom = (
                    left, top, right, bottom)
        response = self._call(self._stub.Prepare, request)
        out = {}
        for tensor in response.tensors:
            if strided:
                out[tensor.name] = np.frombuffer(tensor.data, np.uint8)
            else:
                out[tensor.name] = np.frombuffer(tensor.data, _DTYPES[tensor.dtype]).reshape(
                    tuple(tensor.dense_shape))
        return out

    @staticmethod
    def _set_model(request, model, config):
        if (model is None) == (config is None):
            raise ValueError("give exactly one of model (a repository name) or config (yaml)")
        if model is not None:
            request.model_name = model
            return
        text = config
        name = "inline"
        if os.path.exists(config):
            with open(config) as f:
                text = f.read()
            name = os.path.splitext(os.path.basename(config))[0]
        request.inline_descriptor.yaml = text
        request.inline_descriptor.name = name


def _read(image):
    if isinstance(image, (bytes, bytearray)):
        return bytes(image)
    with open(image, "rb") as f:
        return f.read()
