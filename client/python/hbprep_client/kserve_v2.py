"""A small Open Inference Protocol (KServe v2) client for hbprep-server.

hbprep-server serves inference.GRPCInferenceService beside hbprep.v1 on the same ports: each
repository model is an inference model of its name (version "1") with input IMAGE (BYTES, one
encoded image per element), ROI (INT32 [n, 4]) for resizer models, and each featuremap input
under its own name (FP32); the outputs are the plan's tensors, dense. Built on Debian's
python3-grpcio with the protoc-generated stubs (package ``inference``, in ``build/python``).

    from hbprep_client.kserve_v2 import InferenceClient
    with InferenceClient("127.0.0.1:50051") as client:
        outputs = client.infer("cls_pyramid", images=["cat.jpg"])   # {"data_y": ndarray, ...}

Requests are shaped the way standard clients (tritonclient, the kserve SDK) shape them: BYTES
in raw_input_contents, each element behind a 4-byte little-endian length.
"""

import struct

import grpc
import numpy as np

from inference import grpc_predict_v2_pb2 as pb
from inference import grpc_predict_v2_pb2_grpc as rpc

from . import HbprepError, _Connection, _read

__all__ = ["InferenceClient", "serialize_bytes", "outputs_of", "DATATYPES"]

DATATYPES = {"BOOL": np.bool_, "UINT8": np.uint8, "INT8": np.int8, "INT16": np.int16,
             "UINT16": np.uint16, "INT32": np.int32, "UINT32": np.uint32, "INT64": np.int64,
             "UINT64": np.uint64, "FP16": np.float16, "FP32": np.float32, "FP64": np.float64}


def serialize_bytes(elements):
    """The protocol's binary form of a BYTES tensor: each element behind its uint32 LE length."""
    return b"".join(struct.pack("<I", len(e)) + bytes(e) for e in elements)


def outputs_of(response):
    """{output name: numpy array} of a ModelInferResponse (raw_output_contents)."""
    out = {}
    for tensor, data in zip(response.outputs, response.raw_output_contents):
        out[tensor.name] = np.frombuffer(data, DATATYPES[tensor.datatype]).reshape(
            tuple(tensor.shape))
    return out


def _tensor_metadata(tensors):
    return [{"name": t.name, "datatype": t.datatype, "shape": list(t.shape)} for t in tensors]


class InferenceClient(_Connection):
    """A connection to hbprep-server's inference.GRPCInferenceService.

    Arguments as hbprep_client.Client: target ("host:port", "unix:/path", ...), token,
    root_certificates / private_key / certificate_chain (PEM bytes), timeout in seconds.
    """

    def __init__(self, target, token=None, root_certificates=None, private_key=None,
                 certificate_chain=None, timeout=60.0, max_message_bytes=64 << 20):
        super().__init__(target, "inference.GRPCInferenceService",
                         rpc.GRPCInferenceServiceStub, token, root_certificates, private_key,
                         certificate_chain, timeout, max_message_bytes)

    def server_live(self):
        return self._call(self._stub.ServerLive, pb.ServerLiveRequest()).live

    def server_ready(self):
        return self._call(self._stub.ServerReady, pb.ServerReadyRequest()).ready

    def model_ready(self, name, version=""):
        return self._call(self._stub.ModelReady,
                          pb.ModelReadyRequest(name=name, version=version)).ready

    def server_metadata(self):
        response = self._call(self._stub.ServerMetadata, pb.ServerMetadataRequest())
        return {"name": response.name, "version": response.version,
                "extensions": list(response.extensions)}

    def model_metadata(self, name, version=""):
        """{"name", "versions", "platform", "inputs", "outputs"}; tensors as
        {"name", "datatype", "shape"} with -1 for dimensions that vary."""
        response = self._call(self._stub.ModelMetadata,
                              pb.ModelMetadataRequest(name=name, version=version))
        return {"name": response.name, "versions": list(response.versions),
                "platform": response.platform, "inputs": _tensor_metadata(response.inputs),
                "outputs": _tensor_metadata(response.outputs)}

    @staticmethod
    def request(model, images=(), rois=None, features=None, target=None, nv12_recipe=None,
                outputs=None, binary=True, request_id="", descriptor_hash=None, version="",
                decode=None):
        """A ModelInferRequest.

        images: file paths or bytes (encoded images), one per image the model takes.
        rois: one (left, top, right, bottom), inclusive, per image of a resizer input.
        features: {featuremap input name: float32 array of the input's whole shape}.
        target / nv12_recipe / decode / descriptor_hash: string parameters (defaults: board,
                auto, the model's decode mode).
        outputs: names of the outputs to return (default: all).
        binary: tensors in raw_input_contents (as standard clients send them), else in
                contents (bytes_contents, int_contents, fp32_contents).
        """
        request = pb.ModelInferRequest(model_name=model, model_version=version, id=request_id)
        for key, value in (("target", target), ("nv12_recipe", nv12_recipe),
                           ("decode", decode), ("descriptor_hash", descriptor_hash)):
            if value is not None:
                request.parameters[key].string_param = value
        tensors = []
        data = [_read(image) for image in images]
        if data:
            tensors.append(("IMAGE", "BYTES", [len(data)], data))
        if rois is not None:
            roi = np.asarray(rois, dtype=np.int32).reshape(-1, 4)
            tensors.append(("ROI", "INT32", list(roi.shape), roi))
        for name, array in (features or {}).items():
            array = np.ascontiguousarray(array, dtype=np.float32)
            tensors.append((name, "FP32", list(array.shape), array))
        for name, datatype, shape, value in tensors:
            tensor = request.inputs.add(name=name, datatype=datatype, shape=shape)
            if binary and datatype == "BYTES":
                request.raw_input_contents.append(serialize_bytes(value))
            elif binary:  # little-endian, as the protocol says
                request.raw_input_contents.append(
                    value.astype(value.dtype.newbyteorder("<")).tobytes())
            elif datatype == "BYTES":
                tensor.contents.bytes_contents.extend(value)
            elif datatype == "INT32":
                tensor.contents.int_contents.extend(value.ravel().tolist())
            else:
                tensor.contents.fp32_contents.extend(value.ravel().tolist())
        for name in outputs or ():
            request.outputs.add(name=name)
        return request

    def infer_response(self, model, **kwargs):
        """The ModelInferResponse message (parameters: target, descriptor_hash, warnings)."""
        return self._call(self._stub.ModelInfer, self.request(model, **kwargs))

    def infer(self, model, **kwargs):
        """{output name: numpy array}, dense with the tensor's datatype and shape."""
        return outputs_of(self.infer_response(model, **kwargs))

    def stream(self, requests):
        """ModelStreamInfer: yields, per request in order, (id, outputs, None) or
        (id, None, (error code name, error message))."""
        try:
            for answer in self._stub.ModelStreamInfer(iter(requests), timeout=self._timeout,
                                                      metadata=self._metadata):
                response = answer.infer_response
                if answer.error_message:
                    code = response.parameters["error_code"].string_param
                    yield response.id, None, (code, answer.error_message)
                else:
                    yield response.id, outputs_of(response), None
        except grpc.RpcError as error:
            raise HbprepError(error.code(), error.details()) from None
