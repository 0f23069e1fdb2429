"""hbprep in-process: a Horizon model's yaml in, the tensors HBRuntime and the board take out.

    import hbprep
    model = hbprep.Model("m.yaml")              # the hb_compile / hb_mapper yaml
    tensors = model.prepare(["cat.jpg"])        # {"images_y": ndarray, "images_uv": ndarray}
    outputs = hb_runtime.run(None, tensors)      # names, dtypes and shapes match

The engine of the hbprep CLI and hbprep-server, linked into one extension (hbprep._engine):
the same bytes as `hbprep prepare` for the same images. Calls release the GIL while the engine
works. See help(hbprep.Model.prepare), and README "Python API".

The generated gRPC stubs of hbprep-server's API live beside it as hbprep.v1 (when the build
has the wire API); the gRPC client is the package hbprep_client.
"""
from hbprep._engine import (  # noqa: F401
    TARGETS,
    Cancelled,
    DeadlineExceeded,
    Error,
    FailedPrecondition,
    Frame,
    Geometry,
    Internal,
    InvalidArgument,
    Model,
    NotFound,
    ResourceExhausted,
    Result,
    Unavailable,
    __version__,
    library_versions,
)

__all__ = [
    "Model", "Frame", "Result", "Geometry", "TARGETS", "library_versions",
    "Error", "InvalidArgument", "NotFound", "ResourceExhausted", "FailedPrecondition",
    "Cancelled", "DeadlineExceeded", "Unavailable", "Internal",
]
