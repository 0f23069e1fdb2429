#include "adapters/npy.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace hbprep {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr int64_t kMaxNpyBytes = int64_t{1} << 34;

absl::string_view Descr(DType dtype) {
  switch (dtype) {
    case DType::kUint8:
      return "|u1";
    case DType::kInt8:
      return "|i1";
    case DType::kInt16:
      return "<i2";
    case DType::kUint16:
      return "<u2";
    case DType::kInt32:
      return "<i4";
    case DType::kFloat32:
      return "<f4";
  }
  return "|u1";
}

// The value of `key` in the header dict text, e.g. 'descr': '<f4' -> <f4 (quotes kept off).
absl::string_view Field(absl::string_view header, absl::string_view key) {
  const std::string quoted = absl::StrCat("'", key, "'");
  size_t at = header.find(quoted);
  if (at == absl::string_view::npos) return {};
  absl::string_view rest = header.substr(at + quoted.size());
  rest = absl::StripLeadingAsciiWhitespace(rest);
  if (!absl::ConsumePrefix(&rest, ":")) return {};
  rest = absl::StripLeadingAsciiWhitespace(rest);
  if (absl::ConsumePrefix(&rest, "'")) return rest.substr(0, rest.find('\''));
  if (absl::ConsumePrefix(&rest, "(")) return rest.substr(0, rest.find(')'));
  size_t end = rest.find_first_of(",}");
  return absl::StripAsciiWhitespace(rest.substr(0, end));
}

}  // namespace

std::string EncodeNpy(DType dtype, absl::Span<const int64_t> shape,
                      absl::Span<const uint8_t> data) {
  std::string dims = absl::StrJoin(shape, ", ");
  if (shape.size() == 1) dims += ",";
  std::string header = absl::StrCat("{'descr': '", Descr(dtype),
                                    "', 'fortran_order': False, 'shape': (", dims, "), }");
  // Pad with spaces so that magic + version + length + header is a multiple of 64, ending in \n.
  const size_t unpadded = 6 + 2 + 2 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  std::string out(kMagic, 6);
  out.push_back('\x01');
  out.push_back('\x00');
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  out += header;
  out.append(reinterpret_cast<const char*>(data.data()), data.size());
  return out;
}

absl::StatusOr<NpyArray> DecodeNpy(absl::string_view bytes, absl::string_view what) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": not a usable .npy file: ", why));
  };
  if (bytes.size() < 10 || bytes.substr(0, 6) != absl::string_view(kMagic, 6)) {
    return bad("missing the \\x93NUMPY magic");
  }
  const int major = static_cast<uint8_t>(bytes[6]);
  size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = static_cast<uint8_t>(bytes[8]) | static_cast<uint8_t>(bytes[9]) << 8;
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return bad("truncated header");
    header_len = 0;
    for (int i = 3; i >= 0; --i) header_len = header_len << 8 | static_cast<uint8_t>(bytes[8 + i]);
    offset = 12;
  } else {
    return bad(absl::StrCat("unknown format version ", major));
  }
  if (header_len > bytes.size() - offset) return bad("truncated header");
  const absl::string_view header = bytes.substr(offset, header_len);
  const absl::string_view payload = bytes.substr(offset + header_len);

  NpyArray array;
  const absl::string_view descr = Field(header, "descr");
  bool from_f64 = false;
  if (descr == "|u1" || descr == "<u1") {
    array.dtype = DType::kUint8;
  } else if (descr == "|i1" || descr == "<i1") {
    array.dtype = DType::kInt8;
  } else if (descr == "<i2") {
    array.dtype = DType::kInt16;
  } else if (descr == "<u2") {
    array.dtype = DType::kUint16;
  } else if (descr == "<i4") {
    array.dtype = DType::kInt32;
  } else if (descr == "<f4") {
    array.dtype = DType::kFloat32;
  } else if (descr == "<f8") {
    array.dtype = DType::kFloat32;
    from_f64 = true;
  } else {
    return bad(
        absl::StrCat("dtype '", descr, "' is not one of uint8, int8, int16, uint16, int32, float32, float64"));
  }
  if (Field(header, "fortran_order") != "False") return bad("Fortran order is not supported");
  int64_t count = 1;
  for (absl::string_view dim :
       absl::StrSplit(Field(header, "shape"), ',', absl::SkipWhitespace())) {
    int64_t value = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(dim), &value) || value < 0 ||
        (value > 0 && count > kMaxNpyBytes / value)) {
      return bad(absl::StrCat("shape '", Field(header, "shape"), "' is not valid"));
    }
    array.shape.push_back(value);
    count *= value;
  }
  const int64_t element = from_f64 ? 8 : ElementSize(array.dtype);
  if (count * element > kMaxNpyBytes) return bad("too large");
  if (static_cast<int64_t>(payload.size()) != count * element) {
    return bad(
        absl::StrCat("holds ", payload.size(), " data bytes, shape needs ", count * element));
  }
  if (!from_f64) {
    array.data.assign(payload.begin(), payload.end());
    return array;
  }
  array.data.resize(count * 4);
  for (int64_t i = 0; i < count; ++i) {
    double value;
    std::memcpy(&value, payload.data() + i * 8, 8);
    const float narrowed = static_cast<float>(value);
    std::memcpy(array.data.data() + i * 4, &narrowed, 4);
  }
  return array;
}

}  // namespace hbprep
