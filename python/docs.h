// The module's docstrings, one place: help(hbprep.Model.prepare) and the others must be
// useful on their own (python/hbprep/__init__.pyi holds the types).
#ifndef HBPREP_PYTHON_DOCS_H_
#define HBPREP_PYTHON_DOCS_H_

namespace hbprep::python {

inline constexpr char kModuleDoc[] =
    R"(hbprep's engine in-process: the model's yaml in, the tensors HBRuntime and the board take out.

    import hbprep
    model = hbprep.Model("m.yaml")                      # the hb_compile / hb_mapper yaml
    tensors = model.prepare(["cat.jpg"])                # {"images_y": ndarray, ...}
    outputs = hb_runtime.run(None, tensors)              # names and dtypes match

The same engine as the hbprep CLI and hbprep-server: the same bytes for the same images.
Calls release the GIL while the engine works, so a thread pool prepares on every core.
Errors are hbprep.Error subclasses carrying the engine's message and code.
)";

inline constexpr char kModelDoc[] =
    R"(A compiled model's input preparation, from its toolchain yaml.

Model(config) reads a yaml file (and its <stem>.model_info.txt beside it, when there is one);
Model(yaml_text=..., name=...) its text; Model(repository=folder, name=...) a model of a
hbprep-server model repository. Immutable; one model may serve any number of threads at once.
)";

inline constexpr char kModelInitDoc[] = R"(Loads and checks a descriptor.

config: path of the yaml file (its model info is taken from <stem>.model_info.txt beside it
    unless model_info is given).
yaml_text: the yaml's text instead; name names the model (default "inline").
repository: a folder of yaml files (a hbprep-server repository); name is the model's (its
    file's stem).
model_info: path of the compiled model's description (`hrt_model_exec model_info` output): the
    board plan then follows the compiled model (input order, dtypes, strides, quantisation).
max_side, max_pixels: the largest image width/height and pixel count a request may lead to
    (default 16384 and 2**26, as the CLI's --max-side and --max-pixels).
max_request_bytes: the most memory one request may need (default 4 GiB; 0: no limit).

Raises InvalidArgument with every error of the file (one per line), NotFound for a missing file
or repository model.
)";

inline constexpr char kPlanDoc[] =
    R"(The plan for a target: what `hbprep describe --json` prints, as Python objects.

target: "board" (the compiled model's inputs), "calibration" (the float model's input), "onnx",
    "oe1_float_onnx" or "oe1_quantized_onnx" (OE 1.x's generated ONNX models).
nv12_recipe, decode, dtype: as for prepare (dtype "uint8" changes the calibration tensors').

Returns {"model", "target", "march", "descriptor_hash", "norm_type", "tensors": [{"name",
"input", "adapter", "item"?, "dtype", "shape", "strides", "layout"?, "quantization"?}],
"hrt_model_exec"?, "warnings"}. Board tensors carry the board's strides (row padding included);
a resizer input's image sizes are -1 (they follow each image: see output_specs).
)";

inline constexpr char kBindingsDoc[] = R"(The files one request takes for a target, in order.

Returns [{"input": name, "image": bool, "resizer": bool}]: one entry per file (one image per
batch item, one feature file per featuremap input, or per item after a batch split); "image"
False for featuremap files, which also give the "shape" and "dtype" their data has; "resizer"
True for images that take a ROI.
)";

inline constexpr char kOutputSpecsDoc[] =
    R"(The tensors one request fills, with every size concrete.

The plan's tensors (plan()["tensors"]) with a resizer input's sizes taken from these images
(their headers, or the frames' sizes), plus "nbytes": the bytes of the tensor's layout, which a
caller's buffer for prepare_into must hold. images may be None for a model without resizer
inputs.
)";

inline constexpr char kEmptyOutputsDoc[] =
    R"(Zero-filled outputs for prepare_into: {tensor name: array}.

Each array lies in a buffer of its layout's bytes with the layout's strides (board tensors'
padded rows), as a runtime's input tensor memory would: a strided view over one buffer. images
as for output_specs.
)";

inline constexpr char kPrepareDoc[] =
    R"(Prepares one request: {tensor name: numpy array}, ready for HBRuntime.

images: one file per binding (see bindings()), in order; a list, or one file alone. Each is
    - a path (str or os.PathLike) or bytes-like data of an encoded image (JPEG, PNG, BMP,
      WebP, TIFF), or of a featuremap's .npy / .bin file;
    - a uint8 array of pixels: (H, W, 3) BGR (as cv2.imread gives) or (H, W) gray, any strides
      (views, negative strides, channel slices: rows that are not contiguous are copied);
    - a (y, uv) tuple of NV12 planes: y (H, W), uv (H/2, W/2, 2) or (H/2, W), rows padded or
      not, each plane where it lies (video range; hbprep.Frame(y, uv, range="full") for full);
      (y, u, v) for I420;
    - hbprep.Frame(rgb, format="rgb") and the like, to name a format or range;
    - at a featuremap input's place: an array (its dtype; float64 becomes float32), a path or
      bytes.
target: "board" (default), "calibration", "onnx", "oe1_float_onnx", "oe1_quantized_onnx".
rois: for resizer inputs on the board, one (left, top, right, bottom) (inclusive) or None (the
    whole image) per entry of images.
nv12_recipe: "auto", "calc", "calc_f32" or "opencv": overrides the descriptor's NV12 recipe.
decode: "exact" (pixels as cv2.imread gives) or "fast" (JPEG straight to YCbCr planes, reduced
    in the DCT domain): overrides the descriptor's hbprep.decode.
features: {featuremap input name: data} (a list of data per file after a batch split), so that
    images holds the images alone; or a list of the positions in images that hold featuremap
    files (the gRPC client's form).
dtype: "uint8" for uint8 calibration/onnx image data (inputs that are not normalised), as the
    CLI's --dtype uint8.
convert_range: False passes NV12/I420 frames of another range unchanged (with a warning).
strided: True returns each tensor as a flat uint8 array of the board's layout (padded rows,
    padding zero), as the gRPC client's strided=True.

Returns an hbprep.Result: a dict of dense arrays with the tensors' names, dtypes and shapes
(OE 1.x packed NV12 as [N, H*3/2, W]), each owning the engine's buffer (no copy); with
.warnings, .geometry (one hbprep.Geometry per file, None for featuremaps), .pixel_stddev and
.timings. The same bytes as `hbprep prepare` writes.

The GIL is released while files are read and the engine runs. Raises InvalidArgument (a
ValueError) for a bad request, NotFound for a file that cannot be read, ResourceExhausted beyond
the model's limits; each names the image (its path, or "image N"), input and value.
)";

inline constexpr char kPrepareIntoDoc[] =
    R"(Prepares one request into the caller's arrays (a runtime's input tensor memory).

outputs: {tensor name: array} or a list in the plan's order. Each array is either the tensor's
    dtype with its layout's shape and strides (output_specs() gives them; the board's padded
    rows as a strided view over one buffer: empty_outputs() makes such arrays), or a
    C-contiguous uint8 buffer of at least the layout's bytes. Every array is checked first
    (dtype, shape, strides, writability, the bytes its memory holds); padding bytes are never
    written. An error names the output, its tensor and the bytes it needs.
images, target, rois, nv12_recipe, decode, features, dtype, convert_range: as for prepare.

Returns an hbprep.Result mapping each tensor's name to the caller's array, with .warnings and
.geometry. The GIL is released while the engine writes; the arrays must not be resized or freed
by another thread meanwhile.
)";

inline constexpr char kCalibDoc[] = R"(Writes a calibration set, as `hbprep calib` does.

sources: image files and folders (searched recursively for .jpg .jpeg .png .bmp .webp .tif
    .tiff .npy, sorted by path), one file per binding for each sample (a multi-input model
    takes its files in binding order).
out: the folder to write: one subfolder per input holding NNNN_<stem>.npy per sample, and
    manifest.json; written all or nothing, replacing an earlier result only.
limit: with fewer samples than available, draws them in a seeded random order (seed) until
    that many are written.
keep_blank: near-constant images (pixel standard deviation below 2) are skipped unless True.
dtype: "uint8" for uint8 data where the input is not normalised; decode as for prepare.

Returns the manifest (also in out/manifest.json); its "warnings" hold what the CLI prints
(skipped images, a set outside the toolchain's 20 to 100 samples). Runs without the GIL.
)";

inline constexpr char kFrameDoc[] = R"(Pixels or planes, with their format and range, for prepare.

Frame(pixels, format="bgr"|"rgb"|"gray"): an (H, W, 3) or (H, W) uint8 array.
Frame(y, uv, range="video"|"full"): NV12 planes (format "nv12"); Frame(y, u, v): I420.
Without format, it follows from the planes (one: BGR or gray by shape, two: NV12, three:
I420). range is the YUV formats' BT.601 range (default "video", 16..235); frames of another
range than the model's input_space_and_range are converted.
)";

inline constexpr char kGeometryDoc[] =
    R"(Where a prepared image's pixels came from, to map a detector's boxes back.

A tensor pixel (x, y) shows the source point window[:2] + ((x, y) - pad) / scale
(to_source). source: the image's size; window (x, y, w, h): the part of the source the content
shows; scale: tensor pixels per source pixel; pad (left, top): where the content starts
(PadResize's padding); content: its size; size: the tensor's image size; roi: a resizer input's
ROI, else None.
)";

inline constexpr char kToSourceDoc[] =
    "The source point a tensor pixel (x, y) shows (edge coordinates: pixel i spans [i, i+1)).";
inline constexpr char kAsDictDoc[] =
    "The manifest's geometry entry: {source, window, scale, pad, content, size, roi?}.";

inline constexpr char kResultDoc[] =
    R"(One request's tensors: a dict {tensor name: numpy array}, which HBRuntime takes as it is.

warnings: what the descriptor's parse and the request tolerated (the CLI prints them).
geometry: one hbprep.Geometry per file of the request (None for featuremap files).
pixel_stddev: calibration and onnx targets: per image, the largest per-channel standard
    deviation of its pixels after the recipe (near zero for blank images).
timings: {"decode_us", "transform_us", "pack_us"}.
)";

}  // namespace hbprep::python

#endif  // HBPREP_PYTHON_DOCS_H_
