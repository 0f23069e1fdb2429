"""Type stubs of hbprep (the extension hbprep._engine, re-exported). Docstrings: help()."""
import os
from typing import (Any, Dict, Iterable, List, Literal, Mapping, Optional, Sequence, Tuple,
                    Union)

import numpy as np
import numpy.typing as npt

__version__: str
TARGETS: Tuple[str, ...]

Target = Literal["board", "calibration", "onnx", "oe1_float_onnx", "oe1_quantized_onnx"]
Nv12Recipe = Literal["auto", "calc", "calc_f32", "opencv"]
DecodeMode = Literal["exact", "fast"]
PathLike = Union[str, "os.PathLike[str]", "os.PathLike[bytes]"]
BytesLike = Union[bytes, bytearray, memoryview]
# One file of a request: an encoded image (or featuremap file) by path or bytes, pixels, NV12
# (y, uv) or I420 (y, u, v) planes, a Frame, or feature data.
File = Union[PathLike, BytesLike, npt.NDArray[Any], Tuple[npt.NDArray[np.uint8], ...], "Frame"]
Roi = Tuple[int, int, int, int]
Features = Union[Mapping[str, Union[File, Sequence[File]]], Iterable[int]]


def library_versions() -> Dict[str, str]: ...


class Error(Exception):
    code: str
    message: str


class InvalidArgument(Error, ValueError): ...
class NotFound(Error, KeyError): ...
class ResourceExhausted(Error): ...
class FailedPrecondition(Error): ...
class Cancelled(Error): ...
class DeadlineExceeded(Error, TimeoutError): ...
class Unavailable(Error, OSError): ...
class Internal(Error, RuntimeError): ...


class Frame:
    def __init__(self, *planes: npt.NDArray[np.uint8],
                 format: Optional[Literal["bgr", "rgb", "gray", "nv12", "i420"]] = None,
                 range: Literal["video", "full"] = "video") -> None: ...
    @property
    def planes(self) -> Tuple[npt.NDArray[np.uint8], ...]: ...
    @property
    def format(self) -> Optional[str]: ...
    @property
    def range(self) -> str: ...


class Geometry:
    @property
    def source(self) -> Tuple[int, int]: ...
    @property
    def window(self) -> Tuple[float, float, float, float]: ...
    @property
    def scale(self) -> Tuple[float, float]: ...
    @property
    def pad(self) -> Tuple[int, int]: ...
    @property
    def content(self) -> Tuple[int, int]: ...
    @property
    def size(self) -> Tuple[int, int]: ...
    @property
    def roi(self) -> Optional[Roi]: ...
    def to_source(self, x: float, y: float) -> Tuple[float, float]: ...
    def as_dict(self) -> Dict[str, Any]: ...


class Result(Dict[str, npt.NDArray[Any]]):
    warnings: List[str]
    geometry: List[Optional[Geometry]]
    pixel_stddev: List[float]
    timings: Dict[str, int]


class Model:
    def __init__(self, config: Optional[PathLike] = None, *, yaml_text: Optional[str] = None,
                 name: Optional[str] = None, model_info: Optional[PathLike] = None,
                 repository: Optional[PathLike] = None, max_side: int = 16384,
                 max_pixels: int = 67108864, max_request_bytes: int = 4294967296) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def march(self) -> str: ...
    @property
    def descriptor_hash(self) -> str: ...
    @property
    def inputs(self) -> List[str]: ...
    @property
    def warnings(self) -> List[str]: ...
    @property
    def source(self) -> str: ...
    def plan(self, target: Target = "board", *, nv12_recipe: Optional[Nv12Recipe] = None,
             decode: Optional[DecodeMode] = None,
             dtype: Optional[Union[str, type, np.dtype]] = None) -> Dict[str, Any]: ...
    def bindings(self, target: Target = "board") -> List[Dict[str, Any]]: ...
    def output_specs(self, images: Optional[Union[File, Sequence[File]]] = None,
                     target: Target = "board", *, rois: Optional[Sequence[Optional[Roi]]] = None,
                     features: Optional[Features] = None,
                     dtype: Optional[Union[str, type, np.dtype]] = None) -> List[Dict[str, Any]]: ...
    def empty_outputs(self, images: Optional[Union[File, Sequence[File]]] = None,
                      target: Target = "board", *,
                      rois: Optional[Sequence[Optional[Roi]]] = None,
                      features: Optional[Features] = None,
                      dtype: Optional[Union[str, type, np.dtype]] = None
                      ) -> Dict[str, npt.NDArray[Any]]: ...
    def prepare(self, images: Union[File, Sequence[File]], target: Target = "board",
                rois: Optional[Sequence[Optional[Roi]]] = None,
                nv12_recipe: Optional[Nv12Recipe] = None, decode: Optional[DecodeMode] = None,
                features: Optional[Features] = None, *,
                dtype: Optional[Union[str, type, np.dtype]] = None, convert_range: bool = True,
                strided: bool = False) -> Result: ...
    def prepare_into(self, outputs: Union[Mapping[str, npt.NDArray[Any]],
                                          Sequence[npt.NDArray[Any]]],
                     images: Union[File, Sequence[File]], target: Target = "board",
                     rois: Optional[Sequence[Optional[Roi]]] = None,
                     nv12_recipe: Optional[Nv12Recipe] = None,
                     decode: Optional[DecodeMode] = None, features: Optional[Features] = None, *,
                     dtype: Optional[Union[str, type, np.dtype]] = None,
                     convert_range: bool = True) -> Result: ...
    def calib(self, sources: Union[PathLike, Sequence[PathLike]], *, out: PathLike,
              limit: Optional[int] = None, seed: int = 0, keep_blank: bool = False,
              dtype: Optional[Union[str, type, np.dtype]] = None,
              decode: Optional[DecodeMode] = None) -> Dict[str, Any]: ...
